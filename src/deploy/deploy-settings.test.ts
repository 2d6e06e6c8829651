import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../config/index.js';
import { readDeploySettings, resolveAnalysisSettings } from './deploy-settings.js';

const config = parseConfigText(
  `version: 1
project:
  name: app
thresholds:
  errorRate: 5%
  latencyP95: 2s
environments:
  staging: {}
  production:
    requires: staging
    thresholds:
      errorRate: 1%
`,
  '/repo/prodguard.yaml',
);

describe('deploy settings', () => {
  it('applies every default while prodguard.yaml has no deploy section', () => {
    const settings = readDeploySettings(config);
    expect(settings).toMatchObject({
      verificationMaxAge: 7 * 86_400_000,
      strategy: 'canary',
      steps: [10, 50, 100],
      stepDuration: 30_000,
      analysis: {
        interval: 5000,
        window: 30_000,
        consecutiveBreaches: 3,
        minRequests: 20,
        holdTimeout: 120_000,
      },
      keepRevisions: 3,
    });
  });

  it('lets an environment override the top-level thresholds (seed §6 defaults elsewhere)', () => {
    const settings = readDeploySettings(config);
    expect(resolveAnalysisSettings(config, settings, 'production')).toMatchObject({
      errorRate: 0.01,
      latencyP95Ms: 2000,
    });
    expect(resolveAnalysisSettings(config, settings, 'staging')).toMatchObject({
      errorRate: 0.05,
      latencyP95Ms: 2000,
    });
  });

  it('names the file and every bad key of the deploy section', () => {
    expect(() =>
      readDeploySettings({ ...config, deploy: { strategy: 'yolo', analysis: { interval: 'soon' } } }),
    ).toThrowErrorMatchingInlineSnapshot(
      `[ProdguardError: /repo/prodguard.yaml: deploy.strategy: Invalid option: expected one of "all-at-once"|"canary"; deploy.analysis.interval: Expected a duration such as 500ms, 30s, 10m, 2h or 90d]`,
    );
  });
});
