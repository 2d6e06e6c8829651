import type { AnalysisSettings } from './deploy-settings.js';

export type AnalysisMetric = 'errorRate' | 'latencyP95' | 'readiness' | 'crashes';

/** One threshold crossed: what, by how much, over which window. Recorded with a rollback. */
export interface Breach {
  metric: AnalysisMetric;
  value: number;
  threshold: number;
  windowMs: number;
}

/** What one look at the new revision saw. */
export interface AnalysisSample {
  at: number;
  requests: number;
  errorRate: number;
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
  'errorRate' | 'latencyP95Ms' | 'minRequests' | 'maxRestarts' | 'windowMs'
>;

/**
 * Judges one sample. Readiness and crashes count whatever the traffic; error rate and p95 need at least
 * minRequests in the window, below which the verdict is "insufficient data" rather than a guess.
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
    });
  }
  if (sample.requests >= t.minRequests) {
    if (sample.errorRate > t.errorRate) {
      breaches.push({
        metric: 'errorRate',
        value: sample.errorRate,
        threshold: t.errorRate,
        windowMs: t.windowMs,
      });
    }
    if (sample.p95Ms > t.latencyP95Ms) {
      breaches.push({
        metric: 'latencyP95',
        value: sample.p95Ms,
        threshold: t.latencyP95Ms,
        windowMs: t.windowMs,
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
 * The analysis state machine, pure. A step trips after K breaching samples in a row; it passes once its
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
    if (next.consecutiveBreaches >= settings.consecutiveBreaches) {
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
