import type { MetricsWindow } from '../platform.js';

export type StatusClass = '2xx' | '3xx' | '4xx' | '5xx' | 'error';
const CLASSES: readonly StatusClass[] = ['2xx', '3xx', '4xx', '5xx', 'error'];

/** Latency bucket upper bounds in ms: 0.25ms × 1.25^k up to ~2 minutes (≤ 12.5 % relative error). */
export const LATENCY_BOUNDS_MS: readonly number[] = (() => {
  const bounds: number[] = [];
  for (let b = 0.25; b < 120_000; b *= 1.25) bounds.push(Math.round(b * 1000) / 1000);
  bounds.push(Number.POSITIVE_INFINITY);
  return bounds;
})();

interface Bucket {
  second: number;
  counts: number[];
  latency: Uint32Array;
}

export function statusClassOf(status: number): StatusClass {
  if (status >= 500) return '5xx';
  if (status >= 400) return '4xx';
  if (status >= 300) return '3xx';
  return '2xx';
}

export interface SlidingMetricsOptions {
  /** Time source (ms since the epoch): the injected clock. */
  nowMs: () => number;
  /** Longest window a query may ask for. Default 10 minutes. */
  maxWindowMs?: number;
}

/**
 * Request counts by status class and a latency histogram in one-second buckets, kept for maxWindowMs,
 * so any window up to that length can be summarised (p50/p95/p99 from the merged histogram).
 */
export class SlidingMetrics {
  readonly #nowMs: () => number;
  readonly #ring: (Bucket | undefined)[];
  inFlight = 0;

  constructor(options: SlidingMetricsOptions) {
    this.#nowMs = options.nowMs;
    this.#ring = new Array(Math.ceil((options.maxWindowMs ?? 600_000) / 1000)).fill(undefined);
  }

  record(statusClass: StatusClass, latencyMs: number): void {
    const second = Math.floor(this.#nowMs() / 1000);
    const slot = second % this.#ring.length;
    let bucket = this.#ring[slot];
    if (!bucket || bucket.second !== second) {
      bucket = { second, counts: [0, 0, 0, 0, 0], latency: new Uint32Array(LATENCY_BOUNDS_MS.length) };
      this.#ring[slot] = bucket;
    }
    bucket.counts[CLASSES.indexOf(statusClass)]!++;
    bucket.latency[bucketIndex(latencyMs)]!++;
  }

  /** Summary of the last windowMs (whole seconds, including the current one). */
  summarize(windowMs: number): MetricsWindow {
    const now = Math.floor(this.#nowMs() / 1000);
    const seconds = Math.max(1, Math.min(this.#ring.length, Math.ceil(windowMs / 1000)));
    const counts = [0, 0, 0, 0, 0];
    const latency = new Uint32Array(LATENCY_BOUNDS_MS.length);
    for (const bucket of this.#ring) {
      if (!bucket || bucket.second <= now - seconds || bucket.second > now) continue;
      for (let i = 0; i < counts.length; i++) counts[i]! += bucket.counts[i]!;
      for (let i = 0; i < latency.length; i++) latency[i]! += bucket.latency[i]!;
    }
    const requests = counts.reduce((a, b) => a + b, 0);
    const [c2, c3, c4, c5, cErr] = counts as [number, number, number, number, number];
    return {
      windowMs: seconds * 1000,
      requests,
      byStatus: { '2xx': c2, '3xx': c3, '4xx': c4, '5xx': c5, error: cErr },
      errorRate: requests === 0 ? 0 : (c5 + cErr) / requests,
      p50Ms: percentile(latency, requests, 0.5),
      p95Ms: percentile(latency, requests, 0.95),
      p99Ms: percentile(latency, requests, 0.99),
      inFlight: this.inFlight,
    };
  }
}

function bucketIndex(ms: number): number {
  // binary search over the bounds
  let lo = 0;
  let hi = LATENCY_BOUNDS_MS.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ms <= LATENCY_BOUNDS_MS[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Upper bound of the bucket holding the q-quantile; 0 without data. */
function percentile(latency: Uint32Array, total: number, q: number): number {
  if (total === 0) return 0;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (let i = 0; i < latency.length; i++) {
    seen += latency[i]!;
    if (seen >= rank) {
      const bound = LATENCY_BOUNDS_MS[i]!;
      return Number.isFinite(bound) ? bound : LATENCY_BOUNDS_MS[i - 1]!;
    }
  }
  return 0;
}
