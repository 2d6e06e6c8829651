import type { Config } from '../config/index.js';
import { type DeployConfig, deployConfigSchema } from '../config/sections/deploy.js';

/** Thresholds and analysis knobs for one environment, all defaults resolved. */
export interface AnalysisSettings {
  errorRate: number;
  latencyP95Ms: number;
  intervalMs: number;
  windowMs: number;
  consecutiveBreaches: number;
  /** One-sided confidence of the error-rate lower bound that makes a sample breach. */
  confidence: number;
  /** Confidence at which a breach is decisive and trips at once. */
  decisiveConfidence: number;
  minRequests: number;
  holdTimeoutMs: number;
  probePaths: readonly string[];
  probesPerSample: number;
  maxRestarts: number;
}

export type DeploySettingsConfig = Pick<Config, 'thresholds' | 'environments' | 'watch' | 'file'> & {
  /** Only the health path is read: it is what analysis probes by default. */
  readonly app?: { readonly healthPath?: string | undefined };
  /** The parsed `deploy:` section (prodguard.yaml's loader validates it with line numbers). */
  readonly deploy?: DeployConfig;
};

/** The `deploy` section with its defaults; a config built by hand without one gets every default. */
export function readDeploySettings(config: DeploySettingsConfig): DeployConfig {
  return config.deploy ?? deployConfigSchema.parse({});
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
    confidence: deploy.analysis.confidence,
    decisiveConfidence: deploy.analysis.decisiveConfidence,
    minRequests: deploy.analysis.minRequests,
    holdTimeoutMs: deploy.analysis.holdTimeout,
    // The probes must hit a path the app serves: its own health path, not a guess.
    probePaths: deploy.analysis.probePaths ?? [config.app?.healthPath ?? '/'],
    probesPerSample: deploy.analysis.probesPerSample,
    maxRestarts: deploy.analysis.maxRestarts,
  };
}
