import type { MetricPoint } from './prometheus-text.js';

/** Upper bounds (seconds) of the router's latency histogram, `+Inf` last. */
export const ROUTER_LATENCY_LE: readonly number[] = [
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2,
  5,
  10,
  Number.POSITIVE_INFINITY,
];

/** Counters keyed by series (the revision name): cumulative values as scraped. */
export type CounterSet = Record<string, number>;

export interface PoolGauges {
  revision: string;
  connections: number;
  max: number;
  waiting: number;
}

/**
 * One scrape of an environment: the router's per-revision counters and the serving revisions' pool gauges.
 * Counters are cumulative; the series turns consecutive samples into increases.
 */
export interface EnvironmentSample {
  at: number;
  environment: string;
  requests: CounterSet;
  /** 5xx answers plus socket/proxy failures. */
  errors: CounterSet;
  /** 503 answers. */
  unavailable: CounterSet;
  restarts: CounterSet;
  dbConnectFailures: CounterSet;
  /** revision → cumulative histogram counts aligned with ROUTER_LATENCY_LE. */
  latency: Record<string, number[]>;
  pools: PoolGauges[];
}

/** Builds the environment's sample from the agent's exposition (all services) and per-revision app scrapes. */
export function assembleEnvironmentSample(input: {
  at: number;
  environment: string;
  router: readonly MetricPoint[];
  apps: readonly { revision: string; points: readonly MetricPoint[] }[];
}): EnvironmentSample {
  const sample: EnvironmentSample = {
    at: input.at,
    environment: input.environment,
    requests: {},
    errors: {},
    unavailable: {},
    restarts: {},
    dbConnectFailures: {},
    latency: {},
    pools: [],
  };
  const add = (set: CounterSet, key: string, value: number) => {
    set[key] = (set[key] ?? 0) + value;
  };
  for (const p of input.router) {
    if (p.labels.service !== input.environment) continue;
    const revision = p.labels.revision ?? '';
    switch (p.name) {
      case 'prodguard_router_requests_total':
        add(sample.requests, revision, p.value);
        if (p.labels.status_class === '5xx' || p.labels.status_class === 'error')
          add(sample.errors, revision, p.value);
        break;
      case 'prodguard_router_unavailable_total':
        add(sample.unavailable, revision, p.value);
        break;
      case 'prodguard_revision_restarts':
        add(sample.restarts, revision, p.value);
        break;
      case 'prodguard_router_request_duration_seconds_bucket': {
        const le = p.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(p.labels.le);
        const index = ROUTER_LATENCY_LE.indexOf(le);
        if (index < 0) break;
        const buckets = sample.latency[revision] ?? ROUTER_LATENCY_LE.map(() => 0);
        buckets[index] = p.value;
        sample.latency[revision] = buckets;
        break;
      }
    }
  }
  for (const app of input.apps) {
    const gauge = (name: string) => app.points.find((p) => p.name === name)?.value;
    const failures = gauge('db_pool_connect_failures_total');
    if (failures !== undefined) add(sample.dbConnectFailures, app.revision, failures);
    const max = gauge('db_pool_connections_max');
    if (max !== undefined) {
      sample.pools.push({
        revision: app.revision,
        connections: gauge('db_pool_connections') ?? 0,
        max,
        waiting: gauge('db_pool_waiting_clients') ?? 0,
      });
    }
  }
  return sample;
}
