import type { Config } from '../config/index.js';
import { type DeployConfig, deployConfigSchema } from '../config/sections/deploy.js';
import { UsageError } from '../kernel/errors.js';

/** Thresholds and analysis knobs for one environment, all defaults resolved. */
export interface AnalysisSettings {
  errorRate: number;
  latencyP95Ms: number;
  intervalMs: number;
  windowMs: number;
  consecutiveBreaches: number;
  minRequests: number;
  holdTimeoutMs: number;
  probePaths: readonly string[];
  probesPerSample: number;
  maxRestarts: number;
}

export type DeploySettingsConfig = Pick<Config, 'thresholds' | 'environments' | 'watch' | 'file'> & {
  /** Present once `deploy: deployConfigSchema` is part of the top-level schema. */
  readonly deploy?: unknown;
};

/**
 * The `deploy` section, parsed with its defaults. Until the top-level schema lists the section,
 * the key is absent and every default applies.
 */
export function readDeploySettings(config: DeploySettingsConfig): DeployConfig {
  const result = deployConfigSchema.safeParse(config.deploy ?? {});
  if (!result.success) {
    const issues = result.error.issues.map((i) => `deploy.${i.path.join('.')}: ${i.message}`).join('; ');
    throw new UsageError('PRODGUARD_DEPLOY_CONFIG_INVALID', `${config.file}: ${issues}`, {
      hint: 'Fix the deploy section of prodguard.yaml; `prodguard config schema` lists its keys.',
    });
  }
  return result.data;
}

/** Environment thresholds override the top-level ones (seed §6 defaults: 5 %, 2 s). */
export function resolveAnalysisSettings(
  config: DeploySettingsConfig,
  deploy: DeployConfig,
  environment: string,
): AnalysisSettings {
  const env = config.environments[environment];
  return {
    errorRate: env?.thresholds?.errorRate ?? config.thresholds.errorRate,
    latencyP95Ms: env?.thresholds?.latencyP95 ?? config.thresholds.latencyP95,
    intervalMs: deploy.analysis.interval,
    windowMs: deploy.analysis.window,
    consecutiveBreaches: deploy.analysis.consecutiveBreaches,
    minRequests: deploy.analysis.minRequests,
    holdTimeoutMs: deploy.analysis.holdTimeout,
    probePaths: deploy.analysis.probePaths,
    probesPerSample: deploy.analysis.probesPerSample,
    maxRestarts: deploy.analysis.maxRestarts,
  };
}
