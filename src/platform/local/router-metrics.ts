import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RevisionInstance } from './revision-instance.js';
import type { StatusClass } from './sliding-metrics.js';

/** Prometheus view of the routers: requests, latency, in-flight and restarts per revision. */
export class RouterMetrics {
  readonly registry = new Registry();
  readonly #requests: Counter<'service' | 'revision' | 'status_class'>;
  readonly #latency: Histogram<'service' | 'revision'>;
  readonly #unavailable: Counter<'service' | 'revision'>;

  constructor(instances: () => Iterable<RevisionInstance>) {
    this.#requests = new Counter({
      name: 'prodguard_router_requests_total',
      help: 'Requests routed to a revision, by status class (error = socket or proxy failure).',
      labelNames: ['service', 'revision', 'status_class'],
      registers: [this.registry],
    });
    this.#latency = new Histogram({
      name: 'prodguard_router_request_duration_seconds',
      help: 'Time from the request reaching the router to the end of the response.',
      labelNames: ['service', 'revision'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
      registers: [this.registry],
    });
    this.#unavailable = new Counter({
      name: 'prodguard_router_unavailable_total',
      help: 'Responses with status 503 per revision (the monitor counts them against the 503 threshold).',
      labelNames: ['service', 'revision'],
      registers: [this.registry],
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
    const labels = { service: instance.spec.service, revision: instance.name };
    this.#requests.inc({ ...labels, status_class: statusClass });
    if (status === 503) this.#unavailable.inc(labels);
    this.#latency.observe(labels, seconds);
  }
}
