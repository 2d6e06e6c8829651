import { describe, expect, it } from 'vitest';
import type { RevisionInstance } from './revision-instance.js';
import { RouterMetrics } from './router-metrics.js';

function instance(service: string, name: string): RevisionInstance {
  return {
    name,
    spec: { service },
    restarts: 2,
    state: 'ready',
    metrics: { inFlight: 3 },
  } as unknown as RevisionInstance;
}

describe('RouterMetrics', () => {
  it('renders the totals kept in plain numbers as Prometheus counters, gauges and a cumulative histogram', async () => {
    const a = instance('staging', 'staging-1');
    const b = instance('staging', 'staging-2');
    const metrics = new RouterMetrics(() => [a, b]);
    metrics.observe(a, '2xx', 0.004, 200);
    metrics.observe(a, '2xx', 0.02, 200);
    metrics.observe(a, '5xx', 0.3, 503);
    metrics.observe(a, 'error', 12);
    metrics.observe(b, '4xx', 0.005, 404);
    const text = await metrics.registry.metrics();
    const line = (l: string) => expect(text.split('\n')).toContain(l);
    line('# TYPE prodguard_router_requests_total counter');
    line('prodguard_router_requests_total{service="staging",revision="staging-1",status_class="2xx"} 2');
    line('prodguard_router_requests_total{service="staging",revision="staging-1",status_class="5xx"} 1');
    line('prodguard_router_requests_total{service="staging",revision="staging-1",status_class="error"} 1');
    line('prodguard_router_requests_total{service="staging",revision="staging-2",status_class="4xx"} 1');
    line('prodguard_router_unavailable_total{service="staging",revision="staging-1"} 1');
    line('# TYPE prodguard_router_request_duration_seconds histogram');
    const bucket = (le: string, n: number) =>
      line(
        `prodguard_router_request_duration_seconds_bucket{le="${le}",service="staging",revision="staging-1"} ${n}`,
      );
    bucket('0.005', 1);
    bucket('0.01', 1);
    bucket('0.025', 2);
    bucket('0.25', 2);
    bucket('0.5', 3);
    bucket('10', 3);
    bucket('+Inf', 4);
    line('prodguard_router_request_duration_seconds_count{service="staging",revision="staging-1"} 4');
    const sum = text
      .split('\n')
      .find((l) =>
        l.startsWith('prodguard_router_request_duration_seconds_sum{service="staging",revision="staging-1"}'),
      );
    expect(Number(sum?.split(' ')[1])).toBeCloseTo(12.324, 9);
    // A bound is inclusive, as in prom-client (le = less than or equal).
    line(
      'prodguard_router_request_duration_seconds_bucket{le="0.005",service="staging",revision="staging-2"} 1',
    );
    line('prodguard_router_in_flight_requests{service="staging",revision="staging-2"} 3');
    line('prodguard_revision_restarts{service="staging",revision="staging-1"} 2');
    line('prodguard_revision_ready{service="staging",revision="staging-1"} 1');
    // Counters stay monotonic between scrapes.
    metrics.observe(a, '2xx', 0.001, 200);
    expect((await metrics.registry.metrics()).split('\n')).toContain(
      'prodguard_router_requests_total{service="staging",revision="staging-1",status_class="2xx"} 3',
    );
  });
});
