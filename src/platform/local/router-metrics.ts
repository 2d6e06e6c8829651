import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RevisionInstance } from './revision-instance.js';
import type { StatusClass } from './sliding-metrics.js';

const LATENCY_BUCKETS_S: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10];
const STATUS_CLASSES: readonly StatusClass[] = ['2xx', '3xx', '4xx', '5xx', 'error'];
const CLASS_INDEX: Record<StatusClass, number> = { '2xx': 0, '3xx': 1, '4xx': 2, '5xx': 3, error: 4 };

/** One revision's totals, kept in plain numbers on the request path and read by prom-client at scrape time. */
interface Tally {
  readonly service: string;
  readonly revision: string;
  readonly byClass: Float64Array;
  unavailable: number;
  /** Non-cumulative counts per latency bucket; the last slot is above the largest bound (+Inf). */
  readonly buckets: Float64Array;
  sum: number;
  count: number;
}

/**
 * Prometheus view of the routers: requests, latency, in-flight and restarts per revision. A request costs a
 * few additions (no label hashing); the registry's metrics read the totals when scraped.
 */
export class RouterMetrics {
  readonly registry = new Registry();
  readonly #tallies = new WeakMap<RevisionInstance, Tally>();
  /** Every revision ever observed, in order, so counters stay monotonic like plain prom-client counters. */
  readonly #all: Tally[] = [];

  constructor(instances: () => Iterable<RevisionInstance>) {
    const all = this.#all;
    new Counter({
      name: 'prodguard_router_requests_total',
      help: 'Requests routed to a revision, by status class (error = socket or proxy failure).',
      labelNames: ['service', 'revision', 'status_class'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const t of all) {
          for (const [i, statusClass] of STATUS_CLASSES.entries()) {
            const n = t.byClass[i]!;
            if (n > 0) this.inc({ service: t.service, revision: t.revision, status_class: statusClass }, n);
          }
        }
      },
    });
    this.registry.registerMetric(
      new TallyHistogram(
        {
          name: 'prodguard_router_request_duration_seconds',
          help: 'Time from the request reaching the router to the end of the response.',
        },
        all,
      ),
    );
    new Counter({
      name: 'prodguard_router_unavailable_total',
      help: 'Responses with status 503 per revision (the monitor counts them against the 503 threshold).',
      labelNames: ['service', 'revision'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const t of all)
          if (t.unavailable > 0) this.inc({ service: t.service, revision: t.revision }, t.unavailable);
      },
    });
    new Gauge({
      name: 'prodguard_router_in_flight_requests',
      help: 'Requests in flight per revision.',
      labelNames: ['service', 'revision'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const i of instances())
          this.set({ service: i.spec.service, revision: i.name }, i.metrics.inFlight);
      },
    });
    new Gauge({
      name: 'prodguard_revision_restarts',
      help: 'Crash restarts per revision.',
      labelNames: ['service', 'revision'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const i of instances()) this.set({ service: i.spec.service, revision: i.name }, i.restarts);
      },
    });
    new Gauge({
      name: 'prodguard_revision_ready',
      help: '1 when the revision is ready.',
      labelNames: ['service', 'revision'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const i of instances())
          this.set({ service: i.spec.service, revision: i.name }, i.state === 'ready' ? 1 : 0);
      },
    });
  }

  observe(instance: RevisionInstance, statusClass: StatusClass, seconds: number, status?: number): void {
    let t = this.#tallies.get(instance);
    if (t === undefined) t = this.#tally(instance);
    t.byClass[CLASS_INDEX[statusClass]]!++;
    if (status === 503) t.unavailable++;
    let b = 0;
    while (b < LATENCY_BUCKETS_S.length && seconds > LATENCY_BUCKETS_S[b]!) b++;
    t.buckets[b]!++;
    t.sum += seconds;
    t.count++;
  }

  #tally(instance: RevisionInstance): Tally {
    const service = instance.spec.service;
    const revision = instance.name;
    // A restarted agent or a re-created instance object continues the same series.
    let t = this.#all.find((x) => x.service === service && x.revision === revision);
    if (t === undefined) {
      t = {
        service,
        revision,
        byClass: new Float64Array(STATUS_CLASSES.length),
        unavailable: 0,
        buckets: new Float64Array(LATENCY_BUCKETS_S.length + 1),
        sum: 0,
        count: 0,
      };
      this.#all.push(t);
    }
    this.#tallies.set(instance, t);
    return t;
  }
}

type LatencyLabel = 'service' | 'revision' | 'le';
type HistogramData = Awaited<ReturnType<Histogram<LatencyLabel>['get']>>;

/** A histogram whose values come from the tallies when the registry reads it (the standard exposition shape). */
class TallyHistogram extends Histogram<LatencyLabel> {
  readonly #name: string;
  readonly #help: string;
  readonly #all: readonly Tally[];

  constructor(config: { name: string; help: string }, all: readonly Tally[]) {
    super({ ...config, labelNames: ['service', 'revision'], buckets: [...LATENCY_BUCKETS_S], registers: [] });
    this.#name = config.name;
    this.#help = config.help;
    this.#all = all;
  }

  override async get(): Promise<HistogramData> {
    const values: HistogramData['values'] = [];
    const bucket = `${this.#name}_bucket`;
    for (const t of this.#all) {
      const labels = { service: t.service, revision: t.revision };
      let cumulative = 0;
      for (const [i, le] of LATENCY_BUCKETS_S.entries()) {
        cumulative += t.buckets[i]!;
        values.push({ labels: { le, ...labels }, value: cumulative, metricName: bucket });
      }
      values.push({ labels: { le: '+Inf', ...labels }, value: t.count, metricName: bucket });
      values.push({ labels, value: t.sum, metricName: `${this.#name}_sum` });
      values.push({ labels, value: t.count, metricName: `${this.#name}_count` });
    }
    return {
      name: this.#name,
      help: this.#help,
      // prom-client's typings declare a numeric enum here; its registry and its own metrics use the string.
      type: 'histogram' as unknown as HistogramData['type'],
      aggregator: 'sum',
      collect: () => undefined,
      values,
    };
  }

  /** The registry prefers this one when it renders text; the values carry no shared labels, so it is get(). */
  getForPromString(): Promise<HistogramData> {
    return this.get();
  }
}
