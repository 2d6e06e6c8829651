import type { Clock } from '../../kernel/clock.js';
import type { RevisionMetrics } from '../../platform/platform.js';
import type { GcpTransport } from '../transport/index.js';
import { listAll } from '../transport/index.js';

/**
 * Cloud Run writes request metrics every 60 s and they become readable up to ~180 s later. A window that
 * ends "now" silently misses its last minutes, so the window ends `lagMs` before now.
 */
export const DEFAULT_METRICS_LAG_MS = 180_000;
/** Monitoring aligns on whole periods of at least 60 s. */
const MIN_ALIGNMENT_S = 60;

export interface RunMetricsQuery {
  project: string;
  /** Cloud Run service id (resource.labels.service_name). */
  service: string;
  region?: string;
  windowMs: number;
  lagMs?: number;
}

interface TimeSeriesPage {
  timeSeries?: {
    metric: { type: string; labels?: Record<string, string> };
    resource: { type: string; labels?: Record<string, string> };
    points?: {
      interval: { startTime?: string; endTime: string };
      value: { int64Value?: string; doubleValue?: number };
    }[];
  }[];
  nextPageToken?: string;
}

export interface RunMetricsResult {
  /** The window the numbers cover: [from, to], `to` = now − lag. */
  from: string;
  to: string;
  /** Per revision seen in the window; a revision absent from the map had no requests. */
  revisions: Map<string, Omit<RevisionMetrics, 'revision'>>;
}

function baseFilter(metric: string, q: RunMetricsQuery): string {
  return [
    `metric.type="run.googleapis.com/${metric}"`,
    'resource.type="cloud_run_revision"',
    `resource.labels.service_name="${q.service}"`,
    ...(q.region ? [`resource.labels.location="${q.region}"`] : []),
  ].join(' AND ');
}

function emptyWindow(windowMs: number): Omit<RevisionMetrics, 'revision'> {
  return {
    windowMs,
    requests: 0,
    byStatus: { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, error: 0 },
    errorRate: 0,
    p50Ms: 0,
    p95Ms: 0,
    p99Ms: 0,
    inFlight: 0,
  };
}

/**
 * request_count summed per revision and response_code_class (the error rate is Σ5xx / Σall: a real
 * ratio, not a raw count), and request_latencies reduced to p50/p95/p99 per revision
 * (REDUCE_PERCENTILE_* over the DELTA distributions). Four timeSeries.list calls. An empty answer means
 * no traffic, never "0 % errors on traffic we did not see".
 */
export async function readRunMetrics(
  transport: GcpTransport,
  clock: Pick<Clock, 'nowMs'>,
  q: RunMetricsQuery,
): Promise<RunMetricsResult> {
  const lag = q.lagMs ?? DEFAULT_METRICS_LAG_MS;
  const endMs = clock.nowMs() - lag;
  const alignmentS = Math.max(MIN_ALIGNMENT_S, Math.ceil(q.windowMs / 1000));
  const startMs = endMs - alignmentS * 1000;
  const interval = {
    'interval.startTime': new Date(startMs).toISOString(),
    'interval.endTime': new Date(endMs).toISOString(),
  };
  const list = (metric: string, reducer: string, groupBy: string[]) =>
    listAll(async (pageToken) => {
      const page = await transport.request<TimeSeriesPage>({
        api: 'monitoring',
        method: 'GET',
        path: `/v3/projects/${q.project}/timeSeries`,
        query: {
          filter: baseFilter(metric, q),
          ...interval,
          'aggregation.alignmentPeriod': `${alignmentS}s`,
          'aggregation.perSeriesAligner': 'ALIGN_DELTA',
          'aggregation.crossSeriesReducer': reducer,
          'aggregation.groupByFields': groupBy,
          view: 'FULL',
          pageToken,
        },
      });
      return { items: page.timeSeries, nextPageToken: page.nextPageToken };
    });
  const revisions = new Map<string, Omit<RevisionMetrics, 'revision'>>();
  const entry = (revision: string) => {
    const existing = revisions.get(revision);
    if (existing) return existing;
    const fresh = emptyWindow(alignmentS * 1000);
    revisions.set(revision, fresh);
    return fresh;
  };
  const counts = await list('request_count', 'REDUCE_SUM', [
    'resource.labels.revision_name',
    'metric.labels.response_code_class',
  ]);
  for (const series of counts) {
    const revision = series.resource.labels?.revision_name;
    if (!revision) continue;
    const n = (series.points ?? []).reduce((s, p) => s + Number(p.value.int64Value ?? 0), 0);
    const cls = series.metric.labels?.response_code_class ?? '5xx';
    const m = entry(revision);
    m.requests += n;
    if (cls === '2xx' || cls === '3xx' || cls === '4xx' || cls === '5xx') m.byStatus[cls] += n;
    else if (cls === '1xx') m.byStatus['2xx'] += n;
    else m.byStatus['5xx'] += n; // Cloud Run reports any other code as 5xx
  }
  for (const [reducer, key] of [
    ['REDUCE_PERCENTILE_50', 'p50Ms'],
    ['REDUCE_PERCENTILE_95', 'p95Ms'],
    ['REDUCE_PERCENTILE_99', 'p99Ms'],
  ] as const) {
    const series = await list('request_latencies', reducer, ['resource.labels.revision_name']);
    for (const s of series) {
      const revision = s.resource.labels?.revision_name;
      if (!revision) continue;
      // Newest point first; over a window of one alignment period there is one.
      const value = s.points?.[0]?.value.doubleValue;
      if (value !== undefined) entry(revision)[key] = Math.round(value);
    }
  }
  for (const m of revisions.values()) m.errorRate = m.requests > 0 ? m.byStatus['5xx'] / m.requests : 0;
  return { from: new Date(startMs).toISOString(), to: new Date(endMs).toISOString(), revisions };
}

/**
 * Worst-case time from a bad revision starting to fail until prodguard sees it: the metric's sampling
 * period (60 s), its ingestion lag, and one analysis window.
 */
export function worstCaseDetectionMs(windowMs: number, lagMs = DEFAULT_METRICS_LAG_MS): number {
  return 60_000 + lagMs + Math.max(MIN_ALIGNMENT_S * 1000, windowMs);
}
