import type { EnvironmentSample } from './environment-sample.js';
import { histogramQuantile, type WindowStats } from './metric-series.js';
import type { AlertSeverity, MonitorRuleSettings, RuleTimings } from './monitor-settings.js';

export type ConditionStatus = 'breach' | 'ok' | 'no-data';

export type ProbeState = 'up' | 'down' | 'pending' | 'unknown';

export interface ProbeStatus {
  name: string;
  kind: 'http' | 'tcp' | 'database';
  state: ProbeState;
  latencyMs?: number;
  error?: string;
}

/** One rule's condition on one environment at one instant. */
export interface RuleVerdict {
  rule: string;
  environment: string;
  severity: AlertSeverity;
  /** Identity beyond rule + environment (e.g. the revision whose pool is exhausted). */
  labels: Record<string, string>;
  status: ConditionStatus;
  value?: number;
  threshold: number;
  summary: string;
  forMs: number;
  keepFiringForMs: number;
}

export interface RuleInputs {
  environment: string;
  /** Window statistics, e.g. from MetricSeries.window. */
  window: (windowMs: number) => WindowStats;
  latest: EnvironmentSample | undefined;
  probes: readonly ProbeStatus[];
  rules: MonitorRuleSettings;
}

const pct = (x: number) => `${(x * 100).toFixed(x < 0.01 ? 2 : 1)}%`;
const dur = (ms: number) =>
  ms % 86_400_000 === 0
    ? `${ms / 86_400_000}d`
    : ms % 3_600_000 === 0
      ? `${ms / 3_600_000}h`
      : ms % 60_000 === 0
        ? `${ms / 60_000}m`
        : `${ms / 1000}s`;

/**
 * Evaluates every rule for one environment. Pure: the same inputs give the same verdicts.
 * Ratios divide by the request count; a window without requests is `no-data`, never 0 % errors.
 */
export function evaluateRules(input: RuleInputs): RuleVerdict[] {
  const r = input.rules;
  const env = input.environment;
  const verdicts: RuleVerdict[] = [];
  const push = (
    rule: string,
    severity: AlertSeverity,
    timings: RuleTimings,
    v: Omit<RuleVerdict, 'rule' | 'environment' | 'severity' | 'forMs' | 'keepFiringForMs' | 'labels'> & {
      labels?: Record<string, string>;
    },
  ) =>
    verdicts.push({
      rule,
      environment: env,
      severity,
      labels: v.labels ?? {},
      status: v.status,
      ...(v.value !== undefined ? { value: v.value } : {}),
      threshold: v.threshold,
      summary: v.summary,
      forMs: timings.forMs,
      keepFiringForMs: timings.keepFiringForMs,
    });

  // Error ratio: (5xx + failed) / all requests.
  {
    const w = input.window(r.errorRatio.windowMs);
    const ratio = w.requests > 0 ? w.errors / w.requests : undefined;
    push('error-ratio', 'page', r.errorRatio, {
      status: ratio === undefined ? 'no-data' : ratio > r.errorRatio.threshold ? 'breach' : 'ok',
      ...(ratio !== undefined ? { value: ratio } : {}),
      threshold: r.errorRatio.threshold,
      summary:
        ratio === undefined
          ? `no requests in the last ${dur(r.errorRatio.windowMs)}`
          : `${pct(ratio)} of ${w.requests} requests failed in the last ${dur(r.errorRatio.windowMs)} (threshold ${pct(r.errorRatio.threshold)})`,
    });
  }
  // p95 latency from the histogram.
  {
    const w = input.window(r.latencyP95.windowMs);
    const p95 = histogramQuantile(0.95, w.latency);
    const ms = p95 === undefined ? undefined : p95 * 1000;
    push('latency-p95', 'page', r.latencyP95, {
      status: ms === undefined ? 'no-data' : ms > r.latencyP95.thresholdMs ? 'breach' : 'ok',
      ...(ms !== undefined ? { value: ms } : {}),
      threshold: r.latencyP95.thresholdMs,
      summary:
        ms === undefined
          ? `no requests in the last ${dur(r.latencyP95.windowMs)}`
          : `p95 ${Math.round(ms)} ms over the last ${dur(r.latencyP95.windowMs)} (threshold ${r.latencyP95.thresholdMs} ms)`,
    });
  }
  // 503 count: an absolute count on purpose (seed: "503s ≥ 5 in 300 s").
  {
    const w = input.window(r.unavailable.windowMs);
    push('unavailable-503', 'page', r.unavailable, {
      status: w.unavailable >= r.unavailable.count ? 'breach' : 'ok',
      value: w.unavailable,
      threshold: r.unavailable.count,
      summary: `${w.unavailable} responses were 503 in the last ${dur(r.unavailable.windowMs)} (threshold ${r.unavailable.count})`,
    });
  }
  // Health probes: one verdict per probe; database probes feed database-errors below.
  for (const probe of input.probes) {
    const database = probe.kind === 'database';
    const rule = database ? 'database-down' : 'health-down';
    push(rule, 'page', r.healthDown, {
      labels: { probe: probe.name },
      status:
        probe.state === 'down'
          ? 'breach'
          : probe.state === 'up' || probe.state === 'pending'
            ? 'ok'
            : 'no-data',
      threshold: 1,
      summary:
        probe.state === 'down'
          ? `${probe.kind} probe ${probe.name} is DOWN${probe.error ? `: ${probe.error}` : ''}`
          : `${probe.kind} probe ${probe.name} is ${probe.state.toUpperCase()}`,
    });
  }
  // Database connection errors reported by the apps' pools.
  {
    const w = input.window(r.databaseErrors.windowMs);
    const reporting = (input.latest?.pools.length ?? 0) > 0;
    push('database-connection-errors', 'page', r.databaseErrors, {
      status: !reporting ? 'no-data' : w.dbConnectFailures >= r.databaseErrors.count ? 'breach' : 'ok',
      value: w.dbConnectFailures,
      threshold: r.databaseErrors.count,
      summary: reporting
        ? `${w.dbConnectFailures} failed database connection attempts in the last ${dur(r.databaseErrors.windowMs)}`
        : 'no serving revision reports pool metrics',
    });
  }
  // Revision (container) restarts.
  {
    const w = input.window(r.restarts.windowMs);
    push('revision-restarts', 'page', r.restarts, {
      status: w.restarts >= r.restarts.count ? 'breach' : 'ok',
      value: w.restarts,
      threshold: r.restarts.count,
      summary: `${w.restarts} revision restarts in the last ${dur(r.restarts.windowMs)} (threshold ${r.restarts.count}): crash loop`,
    });
  }
  // Pool exhaustion: every connection busy and callers queued, per serving revision.
  for (const pool of input.latest?.pools ?? []) {
    const exhausted = pool.waiting > 0 && pool.connections >= pool.max;
    push('pool-exhaustion', 'page', r.poolExhaustion, {
      labels: { revision: pool.revision },
      status: exhausted ? 'breach' : 'ok',
      value: pool.waiting,
      threshold: 1,
      summary: `${pool.revision}: ${pool.connections}/${pool.max} connections in use, ${pool.waiting} callers waiting`,
    });
  }
  // Multi-window, multi-burn-rate SLO alerts (SRE workbook ch. 5): both windows must burn.
  const budget = 1 - r.slo.target;
  for (const win of r.slo.windows) {
    const long = input.window(win.longMs);
    const short = input.window(win.shortMs);
    // Until the short window is fully covered (right after start), the pair has no data: a 3-day
    // ticket must not fire on the monitor's first minutes.
    const burn = (w: WindowStats) =>
      w.requests > 0 && short.coveredMs >= win.shortMs ? w.errors / w.requests / budget : undefined;
    const bl = burn(long);
    const bs = burn(short);
    const name = `slo-burn-${dur(win.longMs)}`;
    push(
      name,
      win.severity,
      { forMs: 0, keepFiringForMs: r.slo.keepFiringForMs },
      {
        status:
          bl === undefined || bs === undefined
            ? 'no-data'
            : // 1e-9: 0.0144 / 0.001 is 14.399999… in floating point
              bl >= win.burnRate - 1e-9 && bs >= win.burnRate - 1e-9
              ? 'breach'
              : 'ok',
        ...(bl !== undefined && bs !== undefined ? { value: Math.min(bl, bs) } : {}),
        threshold: win.burnRate,
        summary:
          bl === undefined || bs === undefined
            ? short.coveredMs < win.shortMs
              ? `not enough history yet (${dur(win.shortMs)} needed)`
              : `no requests in the ${dur(win.longMs)} or ${dur(win.shortMs)} window`
            : `error budget burning ${bl.toFixed(1)}× over ${dur(win.longMs)} and ${bs.toFixed(1)}× over ${dur(win.shortMs)} (threshold ${win.burnRate}× at ${(r.slo.target * 100).toFixed(2)}% SLO)`,
      },
    );
  }
  return verdicts;
}
