import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../config/index.js';
import { readDeploySettings, resolveAnalysisSettings, resolveStepDuration } from './deploy-settings.js';
import { planDetectionTimes } from './plan-detection-times.js';

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
        interval: 1000,
        window: 10_000,
        consecutiveBreaches: 3,
        confidence: 0.95,
        decisiveConfidence: 0.999,
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

  it("probes the app's own health path unless probePaths is set", () => {
    const settings = readDeploySettings(config);
    const withHealth = { ...config, app: { ...config.app, healthPath: '/healthz' } };
    expect(resolveAnalysisSettings(withHealth, settings, 'staging').probePaths).toEqual(['/healthz']);
    const without = { ...config, app: { ...config.app, healthPath: undefined } };
    expect(resolveAnalysisSettings(without, settings, 'staging').probePaths).toEqual(['/']);
    const explicit = readDeploySettings({
      ...withHealth,
      deploy: { ...settings, analysis: { ...settings.analysis, probePaths: ['/ping'] } },
    });
    expect(resolveAnalysisSettings(withHealth, explicit, 'staging').probePaths).toEqual(['/ping']);
  });

  it('names the file, line and every bad key of the deploy section', () => {
    expect(() =>
      parseConfigText(
        'version: 1\nproject: { name: app }\nenvironments: { staging: {} }\ndeploy:\n  strategy: yolo\n  analysis:\n    interval: soon\n',
        '/repo/prodguard.yaml',
      ),
    ).toThrowError(
      /prodguard\.yaml:5:13 {2}deploy\.strategy: Expected one of "all-at-once", "canary"\n.*prodguard\.yaml:7:15 {2}deploy\.analysis\.interval: Expected a duration/s,
    );
  });

  describe('on Cloud Run, where Cloud Monitoring lags', () => {
    const cloud = parseConfigText(
      `version: 1
project:
  name: app
environments:
  staging: {}
  production:
    requires: staging
    platform:
      kind: cloudrun
      project: app-prod
      region: us-central1
      service: api
      image: img:{commit}
      metricsLag: 2m
`,
      '/repo/prodguard.yaml',
    );
    const deploy = readDeploySettings(cloud);
    const prod = resolveAnalysisSettings(cloud, deploy, 'production');

    it('raises the window and interval to the 60 s sample period and extends the hold by the lag', () => {
      expect(prod).toMatchObject({
        windowMs: 60_000,
        intervalMs: 60_000,
        holdTimeoutMs: 120_000 + 120_000,
        metricsLagMs: 120_000,
      });
    });

    it('analyses each canary step for its duration plus the lag, never less than lag + one window', () => {
      expect(resolveStepDuration(deploy.stepDuration, prod)).toBe(30_000 + 120_000 + 30_000);
      expect(resolveStepDuration(10 * 60_000, prod)).toBe(10 * 60_000 + 120_000);
    });

    it('prints a worst-case detection time that includes the lag', () => {
      const t = planDetectionTimes(prod, deploy.switchTimeout);
      expect(t.decisiveTimeToDetectMs).toBe(120_000 + 60_000);
      expect(t.timeToDetectMs).toBe(120_000 + 3 * 60_000);
      expect(t.lowTrafficTimeToDetectMs).toBeGreaterThanOrEqual(120_000 + 120_000);
    });

    it('uses the settings as written when metricsLag is 0s (live metrics, as on the in-repo fake)', () => {
      const live = parseConfigText(
        `version: 1
project:
  name: app
environments:
  production:
    platform:
      kind: cloudrun
      project: app-prod
      region: us-central1
      service: api
      image: img:{commit}
      metricsLag: 0s
`,
        '/repo/prodguard.yaml',
      );
      expect(resolveAnalysisSettings(live, deploy, 'production')).toMatchObject({
        windowMs: 10_000,
        intervalMs: 1000,
        holdTimeoutMs: 120_000,
      });
    });

    it('leaves local-platform environments untouched (their metrics are live)', () => {
      const staging = resolveAnalysisSettings(cloud, deploy, 'staging');
      expect(staging).toMatchObject({ windowMs: 10_000, intervalMs: 1000, holdTimeoutMs: 120_000 });
      expect(staging.metricsLagMs).toBeUndefined();
      expect(resolveStepDuration(deploy.stepDuration, staging)).toBe(30_000);
      expect(planDetectionTimes(staging, deploy.switchTimeout).decisiveTimeToDetectMs).toBe(1000);
    });
  });
});
