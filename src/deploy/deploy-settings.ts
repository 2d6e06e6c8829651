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
  /**
   * How late the environment's metrics arrive (Cloud Run: `platform.metricsLag`, Cloud Monitoring;
   * 0 or absent on the local platform, whose metrics are live).
   */
  metricsLagMs?: number;
}

/** Cloud Run writes a request_count / request_latencies point per revision every 60 s. */
export const CLOUD_RUN_SAMPLE_PERIOD_MS = 60_000;

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
  const base: AnalysisSettings = {
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
  const platform = env?.platform;
  // metricsLag: 0s declares live metrics (the in-repo fake): the settings are then used as written.
  return platform?.kind === 'cloudrun' && platform.metricsLag > 0
    ? withMetricsLag(base, platform.metricsLag)
    : base;
}

/**
 * Analysis over lagging metrics (Cloud Monitoring): a window shorter than the 60 s sample period may hold
 * no point, and sampling more often than a point arrives would count one observation as several
 * consecutive breaches, so both are raised to 60 s; the low-traffic hold starts counting only once the
 * first data can have arrived, so the lag is added to it.
 */
export function withMetricsLag(settings: AnalysisSettings, metricsLagMs: number): AnalysisSettings {
  return {
    ...settings,
    windowMs: Math.max(settings.windowMs, CLOUD_RUN_SAMPLE_PERIOD_MS),
    intervalMs: Math.max(settings.intervalMs, CLOUD_RUN_SAMPLE_PERIOD_MS),
    holdTimeoutMs: settings.holdTimeoutMs + metricsLagMs,
    metricsLagMs,
  };
}

/**
 * How long a canary step is analysed: `deploy.stepDuration`, plus the metrics lag (the step's traffic
 * shows up that much later), and never less than one full window of data after the lag.
 */
export function resolveStepDuration(stepDurationMs: number, analysis: AnalysisSettings): number {
  const lag = analysis.metricsLagMs ?? 0;
  if (lag === 0) return stepDurationMs;
  return Math.max(stepDurationMs + lag, lag + analysis.windowMs);
}
