import type { AnalysisSample } from '../../deploy/analyze-sample.js';
import type { Clock } from '../../kernel/clock.js';
import type { GcpTransport } from '../transport/index.js';
import { DEFAULT_METRICS_LAG_MS, readRunMetrics } from './read-run-metrics.js';

/**
 * One canary/watch analysis sample for a revision, from Cloud Monitoring, in the shape the deploy
 * analysis judges (src/deploy/analyze-sample.ts). `requests` is 0 when Monitoring has no series for the
 * revision: the analysis then says "insufficient data" and holds, instead of reading silence as health.
 * `ready` comes from the Admin API (the caller passes the revision's Ready condition).
 */
export async function readRunAnalysisSample(
  transport: GcpTransport,
  clock: Clock,
  q: {
    project: string;
    service: string;
    region?: string;
    revision: string;
    windowMs: number;
    ready: boolean;
    lagMs?: number;
  },
): Promise<AnalysisSample & { dataUntil: string }> {
  const metrics = await readRunMetrics(transport, clock, {
    project: q.project,
    service: q.service,
    windowMs: q.windowMs,
    lagMs: q.lagMs ?? DEFAULT_METRICS_LAG_MS,
    ...(q.region ? { region: q.region } : {}),
  });
  const m = metrics.revisions.get(q.revision);
  return {
    at: clock.nowMs(),
    requests: m?.requests ?? 0,
    errorRate: m?.errorRate ?? 0,
    p95Ms: m?.p95Ms ?? 0,
    restarts: 0,
    ready: q.ready,
    dataUntil: metrics.to,
  };
}
