import type { AnalysisSettings } from './deploy-settings.js';
import { wilsonLowerBound } from './error-rate-bound.js';

export type AnalysisMetric = 'errorRate' | 'latencyP95' | 'readiness' | 'crashes';

/** One threshold crossed: what, by how much, over which window. Recorded with a rollback. */
export interface Breach {
  metric: AnalysisMetric;
  value: number;
  threshold: number;
  windowMs: number;
  /**
   * Evidence strong enough to trip at once, without waiting for consecutive samples: the error rate's
   * lower bound at decisiveConfidence is above the threshold, the median is above the p95 threshold,
   * or the revision crashed more than allowed.
   */
  decisive?: true;
  /** For errorRate: the rate's lower confidence bound that exceeded the threshold. */
  lowerBound?: number;
}

/** What one look at the new revision saw. */
export interface AnalysisSample {
  at: number;
  requests: number;
  errorRate: number;
  /** Median latency in the window; 0 without data. */
  p50Ms?: number;
  p95Ms: number;
  /** Restarts since analysis of this revision began. */
  restarts: number;
  ready: boolean;
}

export type SampleVerdict =
  | { kind: 'healthy' }
  | { kind: 'breach'; breaches: Breach[] }
  | { kind: 'insufficient'; requests: number; minRequests: number };

type Thresholds = Pick<
  AnalysisSettings,
  | 'errorRate'
  | 'latencyP95Ms'
  | 'minRequests'
  | 'maxRestarts'
  | 'windowMs'
  | 'confidence'
  | 'decisiveConfidence'
>;

/**
 * Judges one sample. Readiness and crashes count whatever the traffic; error rate and p95 need at least
 * minRequests in the window, below which the verdict is "insufficient data" rather than a guess.
 *
 * The error rate breaches when its Wilson lower bound at `confidence` is above the threshold, not the raw
 * ratio: with one-second samples over a sliding window, 2 errors in 20 requests from a healthy revision
 * with 1 % background errors would otherwise breach again and again. When the bound at
 * `decisiveConfidence` is above the threshold too (50 % of 40 requests failing), the breach is decisive.
 */
export function judgeSample(sample: AnalysisSample, t: Thresholds): SampleVerdict {
  const breaches: Breach[] = [];
  if (!sample.ready) breaches.push({ metric: 'readiness', value: 1, threshold: 0, windowMs: t.windowMs });
  if (sample.restarts > t.maxRestarts) {
    breaches.push({
      metric: 'crashes',
      value: sample.restarts,
      threshold: t.maxRestarts,
      windowMs: t.windowMs,
      decisive: true,
    });
  }
  if (sample.requests >= t.minRequests) {
    const errors = Math.round(sample.errorRate * sample.requests);
    const lower = wilsonLowerBound(errors, sample.requests, t.confidence);
    if (sample.errorRate > t.errorRate && lower > t.errorRate) {
      const decisive = wilsonLowerBound(errors, sample.requests, t.decisiveConfidence) > t.errorRate;
      breaches.push({
        metric: 'errorRate',
        value: sample.errorRate,
        threshold: t.errorRate,
        windowMs: t.windowMs,
        lowerBound: Math.round(lower * 10_000) / 10_000,
        ...(decisive ? { decisive: true as const } : {}),
      });
    }
    if (sample.p95Ms > t.latencyP95Ms) {
      breaches.push({
        metric: 'latencyP95',
        value: sample.p95Ms,
        threshold: t.latencyP95Ms,
        windowMs: t.windowMs,
        // Half the window's requests slower than the p95 threshold is not noise.
        ...((sample.p50Ms ?? 0) > t.latencyP95Ms ? { decisive: true as const } : {}),
      });
    }
  }
  if (breaches.length > 0) return { kind: 'breach', breaches };
  if (sample.requests < t.minRequests) {
    return { kind: 'insufficient', requests: sample.requests, minRequests: t.minRequests };
  }
  return { kind: 'healthy' };
}

export interface AnalysisState {
  startedAt: number;
  samples: number;
  consecutiveBreaches: number;
  /** Set while the verdict is "insufficient data"; cleared by the first sample with enough requests. */
  holdStartedAt: number | undefined;
  lastVerdict: SampleVerdict | undefined;
}

export type AnalysisDecision =
  | { kind: 'continue' }
  | { kind: 'hold'; heldMs: number }
  | { kind: 'pass' }
  | { kind: 'fail'; reason: 'breach'; breaches: Breach[] }
  | { kind: 'fail'; reason: 'insufficient-data'; heldMs: number };

export function startAnalysis(now: number): AnalysisState {
  return {
    startedAt: now,
    samples: 0,
    consecutiveBreaches: 0,
    holdStartedAt: undefined,
    lastVerdict: undefined,
  };
}

/**
 * The analysis state machine, pure. A step trips after K breaching samples in a row, or at once on a
 * decisive breach (overwhelming evidence needs no second look); it passes once its
 * duration is over and the latest sample is healthy; insufficient data holds (probes are sent meanwhile)
 * and fails the step only when the hold outlasts holdTimeoutMs.
 */
export function advanceAnalysis(
  state: AnalysisState,
  verdict: SampleVerdict,
  now: number,
  settings: Pick<AnalysisSettings, 'consecutiveBreaches' | 'holdTimeoutMs'>,
  durationMs: number,
): { state: AnalysisState; decision: AnalysisDecision } {
  const next: AnalysisState = { ...state, samples: state.samples + 1, lastVerdict: verdict };
  if (verdict.kind === 'breach') {
    next.consecutiveBreaches = state.consecutiveBreaches + 1;
    next.holdStartedAt = undefined;
    const decisive = verdict.breaches.some((b) => b.decisive);
    if (decisive || next.consecutiveBreaches >= settings.consecutiveBreaches) {
      return { state: next, decision: { kind: 'fail', reason: 'breach', breaches: verdict.breaches } };
    }
    return { state: next, decision: { kind: 'continue' } };
  }
  if (verdict.kind === 'insufficient') {
    // Neither good nor bad news: the breach streak is kept, the hold clock runs.
    next.holdStartedAt = state.holdStartedAt ?? now;
    const heldMs = now - next.holdStartedAt;
    if (heldMs >= settings.holdTimeoutMs) {
      return { state: next, decision: { kind: 'fail', reason: 'insufficient-data', heldMs } };
    }
    return { state: next, decision: { kind: 'hold', heldMs } };
  }
  next.consecutiveBreaches = 0;
  next.holdStartedAt = undefined;
  if (now - state.startedAt >= durationMs) return { state: next, decision: { kind: 'pass' } };
  return { state: next, decision: { kind: 'continue' } };
}
