import { type CounterSet, type EnvironmentSample, ROUTER_LATENCY_LE } from './environment-sample.js';

/** Increases between two scrapes, summed over series. */
interface Step {
  from: number;
  to: number;
  requests: number;
  errors: number;
  unavailable: number;
  restarts: number;
  dbConnectFailures: number;
  /** Cumulative-by-bound histogram increases (same shape as a Prometheus histogram). */
  latency: number[];
}

/** What happened in one window: sums of counter increases. */
export interface WindowStats {
  windowMs: number;
  /** How much of the window the series actually covers (less right after start). */
  coveredMs: number;
  requests: number;
  errors: number;
  unavailable: number;
  restarts: number;
  dbConnectFailures: number;
  latency: number[];
}

export interface MetricSeriesOptions {
  /** Longest window a rule asks for (the 3-day SLO window by default). */
  retentionMs: number;
  /** Steps older than this are merged into compactStepMs buckets, so 1 s ticks do not keep 3 days of seconds. */
  compactAfterMs?: number;
  compactStepMs?: number;
}

/**
 * An environment's counters over time, kept as increases between consecutive scrapes (what PromQL's
 * increase() sums). A counter that went down was reset (revision restarted or retired): its new value is the increase.
 */
export class MetricSeries {
  readonly #o: Required<MetricSeriesOptions>;
  #last: EnvironmentSample | undefined;
  readonly #steps: Step[] = [];

  constructor(options: MetricSeriesOptions) {
    this.#o = { compactAfterMs: 600_000, compactStepMs: 60_000, ...options };
  }

  get latest(): EnvironmentSample | undefined {
    return this.#last;
  }

  /** The increases between the last two samples (what the latest tick saw happen). */
  get lastStep(): Readonly<Pick<Step, 'from' | 'to' | 'requests' | 'errors'>> | undefined {
    return this.#steps[this.#steps.length - 1];
  }

  add(sample: EnvironmentSample): void {
    const prev = this.#last;
    this.#last = sample;
    if (!prev || sample.at <= prev.at) return;
    this.#steps.push({
      from: prev.at,
      to: sample.at,
      requests: increase(prev.requests, sample.requests),
      errors: increase(prev.errors, sample.errors),
      unavailable: increase(prev.unavailable, sample.unavailable),
      restarts: increase(prev.restarts, sample.restarts),
      dbConnectFailures: increase(prev.dbConnectFailures, sample.dbConnectFailures),
      latency: latencyIncrease(prev.latency, sample.latency),
    });
    this.#compact(sample.at);
  }

  /** Sums of the steps that end inside (now − windowMs, now]. */
  window(nowMs: number, windowMs: number): WindowStats {
    const start = nowMs - windowMs;
    const stats: WindowStats = {
      windowMs,
      coveredMs: 0,
      requests: 0,
      errors: 0,
      unavailable: 0,
      restarts: 0,
      dbConnectFailures: 0,
      latency: ROUTER_LATENCY_LE.map(() => 0),
    };
    let earliest = nowMs;
    for (let i = this.#steps.length - 1; i >= 0; i--) {
      const step = this.#steps[i]!;
      if (step.to <= start) break;
      if (step.to > nowMs) continue;
      earliest = Math.min(earliest, step.from);
      stats.requests += step.requests;
      stats.errors += step.errors;
      stats.unavailable += step.unavailable;
      stats.restarts += step.restarts;
      stats.dbConnectFailures += step.dbConnectFailures;
      for (let b = 0; b < stats.latency.length; b++) stats.latency[b]! += step.latency[b] ?? 0;
    }
    stats.coveredMs = Math.min(windowMs, Math.max(0, nowMs - earliest));
    return stats;
  }

  #compact(nowMs: number): void {
    const cutoff = nowMs - this.#o.retentionMs - this.#o.compactStepMs;
    while (this.#steps.length > 0 && this.#steps[0]!.to < cutoff) this.#steps.shift();
    const old = nowMs - this.#o.compactAfterMs;
    // Merge neighbours that are both older than `old` and fall in the same compactStepMs bucket.
    const merged: Step[] = [];
    for (const step of this.#steps) {
      const prev = merged[merged.length - 1];
      if (
        prev &&
        step.to < old &&
        Math.floor(prev.from / this.#o.compactStepMs) === Math.floor(step.to / this.#o.compactStepMs)
      ) {
        prev.to = step.to;
        prev.requests += step.requests;
        prev.errors += step.errors;
        prev.unavailable += step.unavailable;
        prev.restarts += step.restarts;
        prev.dbConnectFailures += step.dbConnectFailures;
        for (let b = 0; b < prev.latency.length; b++) prev.latency[b]! += step.latency[b] ?? 0;
      } else merged.push(step);
    }
    this.#steps.splice(0, this.#steps.length, ...merged);
  }
}

function increase(prev: CounterSet, cur: CounterSet): number {
  let total = 0;
  for (const [key, value] of Object.entries(cur)) {
    const before = prev[key];
    total += before === undefined || value < before ? value : value - before;
  }
  return total;
}

function latencyIncrease(prev: Record<string, number[]>, cur: Record<string, number[]>): number[] {
  const out = ROUTER_LATENCY_LE.map(() => 0);
  for (const [key, buckets] of Object.entries(cur)) {
    const before = prev[key];
    const reset =
      before === undefined || (buckets[buckets.length - 1] ?? 0) < (before[before.length - 1] ?? 0);
    for (let b = 0; b < out.length; b++)
      out[b]! += reset ? (buckets[b] ?? 0) : (buckets[b] ?? 0) - (before[b] ?? 0);
  }
  return out;
}

/**
 * The q-quantile of a cumulative histogram, interpolated linearly inside its bucket (PromQL's
 * histogram_quantile). Undefined without observations: no data is not 0 ms.
 */
export function histogramQuantile(
  q: number,
  cumulative: readonly number[],
  bounds: readonly number[] = ROUTER_LATENCY_LE,
): number | undefined {
  const total = cumulative[cumulative.length - 1] ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  for (let i = 0; i < cumulative.length; i++) {
    if (cumulative[i]! < rank) continue;
    const upper = bounds[i]!;
    if (!Number.isFinite(upper)) return bounds[i - 1] ?? 0;
    const lower = i === 0 ? 0 : bounds[i - 1]!;
    const below = i === 0 ? 0 : cumulative[i - 1]!;
    const inBucket = cumulative[i]! - below;
    return inBucket === 0 ? upper : lower + ((upper - lower) * (rank - below)) / inBucket;
  }
  return bounds[bounds.length - 2];
}
