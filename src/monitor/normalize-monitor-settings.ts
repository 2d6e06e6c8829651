import type { Config } from '../config/index.js';
import type { BurnRateWindow, MonitorSettings, NotifierSettings, ProbeSettings } from './monitor-settings.js';

/** SRE workbook table 5-8 for a 99.9 % SLO over 30 days. */
export const DEFAULT_BURN_WINDOWS: readonly BurnRateWindow[] = Object.freeze([
  { longMs: 3_600_000, shortMs: 300_000, burnRate: 14.4, severity: 'page' },
  { longMs: 21_600_000, shortMs: 1_800_000, burnRate: 6, severity: 'page' },
  { longMs: 259_200_000, shortMs: 21_600_000, burnRate: 1, severity: 'ticket' },
]);

/** The `monitor` section with every default resolved (thresholds fall back to `thresholds` and the environment's own). */
export function normalizeMonitorSettings(config: Config): MonitorSettings {
  const m = config.monitor;
  const environments = [...config.environmentOrder];
  const isProtected = (name: string) => {
    const env = config.environments[name]!;
    return env.protected || env.requires !== undefined || env.branch !== undefined;
  };
  const probes: Record<string, ProbeSettings[]> = {};
  for (const env of environments) {
    const written = m.probes?.[env];
    const health = config.environments[env]?.health;
    const timeoutFor = (intervalMs: number, timeout: number | undefined) =>
      timeout ?? Math.min(10_000, Math.max(500, Math.floor(intervalMs * 0.8)));
    probes[env] = written
      ? written.map((p): ProbeSettings => {
          const common = {
            name: p.name,
            intervalMs: p.interval,
            timeoutMs: timeoutFor(p.interval, p.timeout),
            retries: p.retries,
            upRetries: p.upRetries,
          };
          switch (p.kind) {
            case 'http':
              return {
                kind: 'http',
                ...common,
                ...(p.url ? { url: p.url } : health ? { url: health.url } : {}),
                path: config.app.healthPath ?? '/',
                expectStatus: p.expectStatus,
              };
            case 'tcp':
              return { kind: 'tcp', ...common, host: p.host, port: p.port };
            case 'database':
              return { kind: 'database', ...common, urlFrom: p.urlFrom };
            default:
              return unreachable(p);
          }
        })
      : [
          {
            kind: 'http',
            name: 'health',
            ...(health ? { url: health.url } : {}),
            path: config.app.healthPath ?? '/',
            intervalMs: 60_000,
            timeoutMs: health?.timeout ?? 5000,
            retries: 1,
            upRetries: 2,
            expectStatus: [200, 299],
          },
        ];
  }
  const r = m.rules;
  const rules: MonitorSettings['rules'] = {};
  for (const env of environments) {
    const own = config.environments[env]?.thresholds;
    rules[env] = {
      errorRatio: {
        threshold: r.errorRatio.threshold ?? own?.errorRate ?? config.thresholds.errorRate,
        windowMs: r.errorRatio.window,
        forMs: r.errorRatio.for,
        keepFiringForMs: r.errorRatio.keepFiringFor,
      },
      latencyP95: {
        thresholdMs: r.latencyP95.threshold ?? own?.latencyP95 ?? config.thresholds.latencyP95,
        windowMs: r.latencyP95.window,
        forMs: r.latencyP95.for,
        keepFiringForMs: r.latencyP95.keepFiringFor,
      },
      unavailable: {
        count: r.unavailable.count,
        windowMs: r.unavailable.window,
        forMs: r.unavailable.for,
        keepFiringForMs: r.unavailable.keepFiringFor,
      },
      healthDown: { forMs: r.healthDown.for, keepFiringForMs: r.healthDown.keepFiringFor },
      databaseErrors: {
        count: r.databaseErrors.count,
        windowMs: r.databaseErrors.window,
        forMs: r.databaseErrors.for,
        keepFiringForMs: r.databaseErrors.keepFiringFor,
      },
      restarts: {
        count: r.restarts.count,
        windowMs: r.restarts.window,
        forMs: r.restarts.for,
        keepFiringForMs: r.restarts.keepFiringFor,
      },
      poolExhaustion: { forMs: r.poolExhaustion.for, keepFiringForMs: r.poolExhaustion.keepFiringFor },
      slo: {
        target: 1 - Math.max(1e-6, 1 - m.slo.target),
        keepFiringForMs: 0,
        windows: m.slo.windows
          ? m.slo.windows.map((w) => ({
              longMs: w.long,
              shortMs: w.short,
              burnRate: w.burnRate,
              severity: w.severity,
            }))
          : DEFAULT_BURN_WINDOWS.map((w) => ({ ...w })),
      },
    };
  }
  const notifiers: NotifierSettings[] = m.notifiers.map((n): NotifierSettings => {
    switch (n.kind) {
      case 'webhook':
        return {
          kind: 'webhook',
          name: n.name,
          url: n.url,
          ...(n.secret ? { secret: n.secret } : {}),
          severities: n.severities,
        };
      case 'slack':
        return { kind: 'slack', name: n.name, url: n.url, severities: n.severities };
      case 'email':
        return {
          kind: 'email',
          name: n.name,
          host: n.host,
          port: n.port,
          secure: n.secure,
          ...(n.user ? { user: n.user } : {}),
          ...(n.password ? { password: n.password } : {}),
          from: n.from,
          to: n.to,
          severities: n.severities,
        };
      case 'console':
        return { kind: 'console', name: n.name, severities: n.severities };
      default:
        return unreachable(n);
    }
  });
  const longest = Math.max(
    ...Object.values(rules).flatMap((x) => x.slo.windows.map((w) => w.longMs)),
    600_000,
  );
  return {
    environments,
    protectedEnvironments: m.protectedEnvironments ?? environments.filter(isProtected),
    tickMs: m.tick,
    appMetricsPath: m.appMetricsPath,
    probes,
    rules,
    grouping: {
      groupWaitMs: m.grouping.groupWait,
      groupIntervalMs: m.grouping.groupInterval,
      repeatIntervalMs: m.grouping.repeatInterval,
    },
    notifiers,
    delivery: { attempts: m.delivery.attempts, backoffMs: m.delivery.backoff, timeoutMs: m.delivery.timeout },
    silenceDefaultMs: m.silenceDefault,
    probeRetentionMs: m.probeRetention,
    seriesRetentionMs: longest,
  };
}

/** The schema's discriminated unions are exhaustive; this keeps the compiler and the linter agreeing. */
function unreachable(value: never): never {
  throw new Error(`unknown kind ${JSON.stringify(value)}`);
}
