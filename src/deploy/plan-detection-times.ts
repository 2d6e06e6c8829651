import type { AnalysisSettings } from './deploy-settings.js';

export interface DetectionTimes {
  /**
   * A revision failing from its first request with decisive evidence (its error rate's lower bound at
   * decisiveConfidence above the threshold, e.g. half its requests failing) and at least minRequests per
   * interval is caught at the first sample: one interval.
   */
  decisiveTimeToDetectMs: number;
  decisiveTimeToRollbackMs: number;
  /**
   * A revision failing just past the threshold, receiving at least minRequests per window, is caught
   * within this: K samples, one interval apart.
   */
  timeToDetectMs: number;
  /** Detection plus one atomic switch back to the warm known-good revision. */
  timeToRollbackMs: number;
  /** With less traffic than minRequests, a step fails only after the hold: the worst case. */
  lowTrafficTimeToDetectMs: number;
  lowTrafficTimeToRollbackMs: number;
}

/**
 * Worst-case times implied by the config, printed before a deploy. The first breaching sample comes at
 * most one interval after the failure starts; a decisive breach trips there, K breaching samples in a
 * row trip the rollback otherwise.
 *
 * @example planDetectionTimes({ intervalMs: 1000, consecutiveBreaches: 3, holdTimeoutMs: 30000 }, 2000)
 * // → { decisiveTimeToDetectMs: 1000, decisiveTimeToRollbackMs: 3000, timeToDetectMs: 3000, timeToRollbackMs: 5000, lowTrafficTimeToDetectMs: 31000, … }
 */
export function planDetectionTimes(
  settings: Pick<AnalysisSettings, 'intervalMs' | 'consecutiveBreaches' | 'holdTimeoutMs' | 'metricsLagMs'>,
  switchTimeoutMs: number,
): DetectionTimes {
  // Lagging metrics (Cloud Monitoring): a failure is visible only metricsLag after it happens. The hold
  // already includes the lag (resolveAnalysisSettings adds it), so only the breach paths add it here.
  const lag = settings.metricsLagMs ?? 0;
  const timeToDetectMs = lag + settings.intervalMs * settings.consecutiveBreaches;
  // The hold starts at the first insufficient sample (one interval in) and fails at the first sample past it.
  const lowTrafficTimeToDetectMs =
    settings.intervalMs + Math.ceil(settings.holdTimeoutMs / settings.intervalMs) * settings.intervalMs;
  return {
    decisiveTimeToDetectMs: lag + settings.intervalMs,
    decisiveTimeToRollbackMs: lag + settings.intervalMs + switchTimeoutMs,
    timeToDetectMs,
    timeToRollbackMs: timeToDetectMs + switchTimeoutMs,
    lowTrafficTimeToDetectMs,
    lowTrafficTimeToRollbackMs: lowTrafficTimeToDetectMs + switchTimeoutMs,
  };
}
