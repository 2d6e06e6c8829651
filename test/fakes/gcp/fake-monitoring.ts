import type { FakeHttpServer, FakeRequest } from './fake-http.js';
import { FakeGoogleError, requireObject } from './fake-http.js';

/** One raw sample as Cloud Run would write it: a request count or latency samples in one minute. */
export interface RawPoint {
  metricType: string;
  resource: { type: string; labels: Record<string, string> };
  metricLabels: Record<string, string>;
  /** End of the sampling interval. */
  atMs: number;
  /** INT64 DELTA value (request_count). */
  count?: number;
  /** DISTRIBUTION DELTA samples in ms (request_latencies). */
  samples?: number[];
}

const TIME_SERIES = /^\/v3\/projects\/([^/]+)\/timeSeries$/;
const UPTIME = /^\/v3\/projects\/([^/]+)\/uptimeCheckConfigs$/;
const UPTIME_ONE = /^\/v3\/(projects\/[^/]+\/uptimeCheckConfigs\/[^/]+)$/;
const ALERTS = /^\/v3\/projects\/([^/]+)\/alertPolicies$/;
const ALERT_ONE = /^\/v3\/(projects\/[^/]+\/alertPolicies\/[^/]+)$/;

function durationMs(value: string | null, what: string): number {
  const m = /^(\d+)s$/.exec(value ?? '');
  if (!m) throw new FakeGoogleError('INVALID_ARGUMENT', `${what} must be a duration such as "60s".`);
  return Number(m[1]) * 1000;
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/**
 * Cloud Monitoring v3: timeSeries.list over raw points with an ingestion lag (Cloud Run metrics become
 * visible up to ~3 minutes late), groupByFields, ALIGN_DELTA and the SUM / PERCENTILE reducers; and
 * CRUD for uptime checks and alert policies with the fields the REST reference requires.
 */
export class FakeMonitoring {
  readonly points: RawPoint[] = [];
  readonly uptimeChecks = new Map<string, Record<string, unknown>>();
  readonly alertPolicies = new Map<string, Record<string, unknown>>();
  /** Points are invisible until this long after their interval ends. */
  ingestionLagMs = 150_000;
  #counter = 0;
  readonly #now: () => Date;

  constructor(options: { now: () => Date }) {
    this.#now = options.now;
  }

  register(http: FakeHttpServer): void {
    http.route('GET', TIME_SERIES, (r) => this.#list(r));
    http.route('GET', UPTIME, (r) => ({
      uptimeCheckConfigs: this.#inProject(this.uptimeChecks, r.params[0]!),
      totalSize: this.uptimeChecks.size,
    }));
    http.route('POST', UPTIME, (r) => this.#createUptime(r));
    http.route('PATCH', UPTIME_ONE, (r) => this.#patch(this.uptimeChecks, r));
    http.route('DELETE', UPTIME_ONE, (r) => this.#delete(this.uptimeChecks, r));
    http.route('GET', ALERTS, (r) => ({
      alertPolicies: this.#inProject(this.alertPolicies, r.params[0]!),
      totalSize: this.alertPolicies.size,
    }));
    http.route('POST', ALERTS, (r) => this.#createAlert(r));
    http.route('PATCH', ALERT_ONE, (r) => this.#patch(this.alertPolicies, r, (b) => this.#validateAlert(b)));
    http.route('DELETE', ALERT_ONE, (r) => this.#delete(this.alertPolicies, r));
  }

  /** Adds Cloud Run traffic for one revision over one minute ending at `atMs`. */
  addRunTraffic(options: {
    project: string;
    service: string;
    revision: string;
    location?: string;
    atMs: number;
    byClass: Partial<Record<'2xx' | '3xx' | '4xx' | '5xx', number>>;
    latenciesMs?: number[];
  }): void {
    const resource = {
      type: 'cloud_run_revision',
      labels: {
        project_id: options.project,
        service_name: options.service,
        revision_name: options.revision,
        location: options.location ?? 'europe-west1',
        configuration_name: options.service,
      },
    };
    for (const [cls, count] of Object.entries(options.byClass)) {
      if (!count) continue;
      this.points.push({
        metricType: 'run.googleapis.com/request_count',
        resource,
        metricLabels: {
          response_code_class: cls,
          response_code: cls === '2xx' ? '200' : cls === '5xx' ? '500' : `${cls[0]}00`,
        },
        atMs: options.atMs,
        count,
      });
    }
    if (options.latenciesMs?.length)
      this.points.push({
        metricType: 'run.googleapis.com/request_latencies',
        resource,
        metricLabels: { response_code_class: '2xx' },
        atMs: options.atMs,
        samples: options.latenciesMs,
      });
  }

  #inProject(map: Map<string, Record<string, unknown>>, project: string): Record<string, unknown>[] {
    return [...map.values()]
      .filter((v) => String(v.name).startsWith(`projects/${project}/`))
      .map((v) => structuredClone(v));
  }

  #list(r: FakeRequest): unknown {
    const q = r.query;
    const filter = q.get('filter');
    if (!filter) throw new FakeGoogleError('INVALID_ARGUMENT', 'filter is required.');
    const start = Date.parse(q.get('interval.startTime') ?? '');
    const end = Date.parse(q.get('interval.endTime') ?? '');
    if (Number.isNaN(end)) throw new FakeGoogleError('INVALID_ARGUMENT', 'interval.endTime is required.');
    const clauses = [...filter.matchAll(/([a-z_.]+)\s*=\s*"([^"]*)"/g)].map((m) => [m[1]!, m[2]!] as const);
    if (!clauses.some(([k]) => k === 'metric.type'))
      throw new FakeGoogleError('INVALID_ARGUMENT', 'The filter must name a metric.type.');
    const visibleUntil = this.#now().getTime() - this.ingestionLagMs;
    const matches = this.points.filter((p) => {
      if (p.atMs <= start || p.atMs > end || p.atMs > visibleUntil) return false;
      return clauses.every(([key, value]) => {
        if (key === 'metric.type') return p.metricType === value;
        if (key === 'resource.type') return p.resource.type === value;
        if (key.startsWith('resource.labels.')) return p.resource.labels[key.slice(16)] === value;
        if (key.startsWith('metric.labels.')) return p.metricLabels[key.slice(14)] === value;
        throw new FakeGoogleError('INVALID_ARGUMENT', `Unsupported filter field ${key}.`);
      });
    });
    const aligner = q.get('aggregation.perSeriesAligner') ?? 'ALIGN_NONE';
    const reducer = q.get('aggregation.crossSeriesReducer') ?? 'REDUCE_NONE';
    const groupBy = q.getAll('aggregation.groupByFields');
    if (aligner !== 'ALIGN_NONE' && aligner !== 'ALIGN_DELTA')
      throw new FakeGoogleError('INVALID_ARGUMENT', `The fake supports ALIGN_DELTA only, got ${aligner}.`);
    if (reducer !== 'REDUCE_NONE' && aligner === 'ALIGN_NONE')
      throw new FakeGoogleError('INVALID_ARGUMENT', 'A crossSeriesReducer requires a perSeriesAligner.');
    const period =
      aligner === 'ALIGN_NONE'
        ? 60_000
        : durationMs(q.get('aggregation.alignmentPeriod'), 'aggregation.alignmentPeriod');
    const groups = new Map<
      string,
      { metric: Record<string, string>; resource: Record<string, string>; points: RawPoint[] }
    >();
    for (const p of matches) {
      const metric: Record<string, string> = {};
      const resource: Record<string, string> = {};
      if (reducer === 'REDUCE_NONE') {
        Object.assign(metric, p.metricLabels);
        Object.assign(resource, p.resource.labels);
      } else
        for (const field of groupBy) {
          if (field.startsWith('metric.labels.'))
            metric[field.slice(14)] = p.metricLabels[field.slice(14)] ?? '';
          else if (field.startsWith('resource.labels.'))
            resource[field.slice(16)] = p.resource.labels[field.slice(16)] ?? '';
          else throw new FakeGoogleError('INVALID_ARGUMENT', `Invalid groupByFields ${field}.`);
        }
      const key = JSON.stringify([metric, resource]);
      const g = groups.get(key) ?? { metric, resource, points: [] };
      g.points.push(p);
      groups.set(key, g);
    }
    const timeSeries = [...groups.values()].map((g) => {
      const first = g.points[0]!;
      const buckets = new Map<number, RawPoint[]>();
      for (const p of g.points) {
        const bucketEnd = end - Math.floor((end - p.atMs) / period) * period;
        buckets.set(bucketEnd, [...(buckets.get(bucketEnd) ?? []), p]);
      }
      const isDistribution = first.samples !== undefined;
      const points = [...buckets.entries()]
        .sort((a, b) => b[0] - a[0])
        .map(([bucketEnd, ps]) => {
          const interval = {
            startTime: new Date(bucketEnd - period).toISOString(),
            endTime: new Date(bucketEnd).toISOString(),
          };
          if (!isDistribution)
            return { interval, value: { int64Value: String(ps.reduce((n, p) => n + (p.count ?? 0), 0)) } };
          const samples = ps.flatMap((p) => p.samples ?? []);
          const pct = /^REDUCE_PERCENTILE_(\d+)$/.exec(reducer)?.[1];
          if (pct) return { interval, value: { doubleValue: percentile(samples, Number(pct)) } };
          const mean = samples.reduce((a, b) => a + b, 0) / Math.max(1, samples.length);
          return { interval, value: { distributionValue: { count: String(samples.length), mean } } };
        });
      const percentileReduced = isDistribution && /^REDUCE_PERCENTILE_/.test(reducer);
      return {
        metric: { type: first.metricType, labels: g.metric },
        resource: { type: first.resource.type, labels: g.resource },
        metricKind: aligner === 'ALIGN_DELTA' && !percentileReduced ? 'DELTA' : 'GAUGE',
        valueType: isDistribution ? (percentileReduced ? 'DOUBLE' : 'DISTRIBUTION') : 'INT64',
        points,
      };
    });
    return timeSeries.length > 0 ? { timeSeries } : {};
  }

  #createUptime(r: FakeRequest): unknown {
    const project = r.params[0]!;
    const body = requireObject(r.body, 'UptimeCheckConfig');
    if (!body.displayName) throw new FakeGoogleError('INVALID_ARGUMENT', 'displayName is required.');
    if (!body.httpCheck && !body.tcpCheck)
      throw new FakeGoogleError('INVALID_ARGUMENT', 'One of httpCheck or tcpCheck is required.');
    const regions = (body.selectedRegions as string[] | undefined) ?? [];
    if (regions.length > 0 && regions.length < 3)
      throw new FakeGoogleError('INVALID_ARGUMENT', 'At least 3 regions must be selected.');
    const period = String(body.period ?? '60s');
    if (!['60s', '300s', '600s', '900s'].includes(period))
      throw new FakeGoogleError('INVALID_ARGUMENT', 'period must be one of 60s, 300s, 600s, 900s.');
    this.#counter += 1;
    const name = `projects/${project}/uptimeCheckConfigs/${String(body.displayName)
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')}-${this.#counter}`;
    const created = { ...body, name, period };
    this.uptimeChecks.set(name, created);
    return structuredClone(created);
  }

  #validateAlert(body: Record<string, unknown>): void {
    const conditions = body.conditions as Record<string, unknown>[] | undefined;
    if (!conditions?.length)
      throw new FakeGoogleError('INVALID_ARGUMENT', 'At least one condition is required.');
    for (const c of conditions) {
      const t = c.conditionThreshold as Record<string, unknown> | undefined;
      if (!t) continue;
      if (typeof t.filter !== 'string' || !t.filter.includes('metric.type'))
        throw new FakeGoogleError('INVALID_ARGUMENT', 'conditionThreshold.filter must name a metric.type.');
      if (t.denominatorFilter !== undefined && !Array.isArray(t.denominatorAggregations))
        throw new FakeGoogleError(
          'INVALID_ARGUMENT',
          'denominatorAggregations is required with denominatorFilter.',
        );
      if (
        ![
          'COMPARISON_GT',
          'COMPARISON_GE',
          'COMPARISON_LT',
          'COMPARISON_LE',
          'COMPARISON_EQ',
          'COMPARISON_NE',
        ].includes(String(t.comparison))
      )
        throw new FakeGoogleError('INVALID_ARGUMENT', `Invalid comparison ${String(t.comparison)}.`);
    }
  }

  #createAlert(r: FakeRequest): unknown {
    const project = r.params[0]!;
    const body = requireObject(r.body, 'AlertPolicy');
    if (!body.displayName) throw new FakeGoogleError('INVALID_ARGUMENT', 'displayName is required.');
    this.#validateAlert(body);
    if (!body.combiner) throw new FakeGoogleError('INVALID_ARGUMENT', 'combiner is required.');
    this.#counter += 1;
    const name = `projects/${project}/alertPolicies/${1000 + this.#counter}`;
    const created = { ...body, name, creationRecord: { mutateTime: this.#now().toISOString() } };
    this.alertPolicies.set(name, created);
    return structuredClone(created);
  }

  #patch(
    map: Map<string, Record<string, unknown>>,
    r: FakeRequest,
    validate?: (b: Record<string, unknown>) => void,
  ): unknown {
    const existing = map.get(r.params[0]!);
    if (!existing) throw new FakeGoogleError('NOT_FOUND', `${r.params[0]} does not exist.`);
    const body = requireObject(r.body, 'resource');
    const mask = (r.query.get('updateMask') ?? '').split(',').filter(Boolean);
    const next = { ...existing };
    for (const field of mask.length > 0 ? mask : Object.keys(body)) next[field] = body[field];
    validate?.(next);
    map.set(r.params[0]!, next);
    return structuredClone(next);
  }

  #delete(map: Map<string, Record<string, unknown>>, r: FakeRequest): unknown {
    if (!map.delete(r.params[0]!)) throw new FakeGoogleError('NOT_FOUND', `${r.params[0]} does not exist.`);
    return {};
  }
}
