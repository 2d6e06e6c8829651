import type { Clock } from '../kernel/clock.js';
import type { Platform } from '../platform/index.js';
import {
  type AnalysisDecision,
  advanceAnalysis,
  type Breach,
  judgeSample,
  startAnalysis,
} from './analyze-sample.js';
import type { DeployEvents } from './deploy-events.js';
import type { AnalysisSettings } from './deploy-settings.js';
import type { ProbeClient } from './probe-client.js';

export interface RunAnalysisOptions {
  platform: Platform;
  probe: ProbeClient;
  clock: Clock;
  events: DeployEvents;
  settings: AnalysisSettings;
  environment: string;
  revision: string;
  revisionUrl: string;
  operationId: string;
  step: string;
  durationMs: number;
  /** Elapsed time is reported from here. */
  operationStartedAt: number;
  signal?: AbortSignal;
  /** Called at every sample; throws when the environment lock was lost. */
  heartbeat: () => void;
}

export type AnalysisOutcome =
  | { kind: 'pass'; samples: number }
  | { kind: 'fail'; reason: 'breach'; breaches: Breach[]; samples: number }
  | { kind: 'fail'; reason: 'insufficient-data'; heldMs: number; samples: number };

/**
 * Samples the new revision every interval over a rolling window until the pure state machine decides.
 * While the verdict is "insufficient data" it sends synthetic probes to the revision's own URL, so a
 * quiet environment still produces signal before the hold times out.
 */
export async function runAnalysis(o: RunAnalysisOptions): Promise<AnalysisOutcome> {
  const baseline = await o.platform.getRevision(o.environment, o.revision);
  let state = startAnalysis(o.clock.nowMs());
  for (;;) {
    await o.clock.sleep(o.settings.intervalMs, o.signal);
    o.signal?.throwIfAborted();
    o.heartbeat();
    const [metrics, revision] = await Promise.all([
      o.platform.getMetrics(o.environment, o.settings.windowMs),
      o.platform.getRevision(o.environment, o.revision),
    ]);
    const mine = metrics.find((m) => m.revision === o.revision);
    const now = o.clock.nowMs();
    const sample = {
      at: now,
      requests: mine?.requests ?? 0,
      errorRate: mine?.errorRate ?? 0,
      p50Ms: mine?.p50Ms ?? 0,
      p95Ms: mine?.p95Ms ?? 0,
      restarts: Math.max(0, revision.restarts - baseline.restarts),
      ready: revision.state === 'ready',
    };
    const verdict = judgeSample(sample, o.settings);
    let decision: AnalysisDecision;
    ({ state, decision } = advanceAnalysis(state, verdict, now, o.settings, o.durationMs));
    o.events.emit('analysis:sample', {
      operationId: o.operationId,
      step: o.step,
      revision: o.revision,
      elapsedMs: now - o.operationStartedAt,
      requests: sample.requests,
      errorRate: sample.errorRate,
      p95Ms: sample.p95Ms,
      verdict: verdict.kind,
      consecutiveBreaches: state.consecutiveBreaches,
    });
    if (decision.kind === 'pass') return { kind: 'pass', samples: state.samples };
    if (decision.kind === 'fail') return { ...decision, samples: state.samples };
    if (decision.kind === 'hold') await sendProbes(o);
  }
}

async function sendProbes(o: RunAnalysisOptions): Promise<void> {
  const base = o.revisionUrl.replace(/\/$/, '');
  const paths = o.settings.probePaths;
  let failed = 0;
  const results = await Promise.all(
    Array.from({ length: o.settings.probesPerSample }, (_, i) =>
      o.probe.get(`${base}${paths[i % paths.length]}`, o.signal),
    ),
  );
  for (const r of results) if (r.status < 200 || r.status >= 400) failed++;
  o.events.emit('analysis:probes', {
    operationId: o.operationId,
    revision: o.revision,
    sent: results.length,
    failed,
  });
}
