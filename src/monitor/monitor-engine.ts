import type { Clock } from '../kernel/clock.js';
import type { Logger } from '../kernel/logger.js';
import { MONITOR_HEADER, type Platform, type Service } from '../platform/index.js';
import { type AlertRecord, type AlertTransition, alertFingerprint, stepAlert } from './alert-lifecycle.js';
import { assembleEnvironmentSample } from './environment-sample.js';
import { evaluateRules, type ProbeStatus, type RuleVerdict } from './evaluate-rules.js';
import { formatAlertNotification } from './format-notification.js';
import { MetricSeries } from './metric-series.js';
import type { MonitorMetrics } from './monitor-metrics.js';
import type { MonitorSettings, ProbeSettings } from './monitor-settings.js';
import type { MonitorStore } from './monitor-store.js';
import { type DeliveryRecord, deliverNotification } from './notifiers/deliver-notification.js';
import type { NotificationMessage, Notifier, SecretLookup } from './notifiers/notification-message.js';
import { emptyGroupState, planGroupNotification } from './plan-group-notification.js';
import { runDatabaseProbe } from './probes/database-probe.js';
import { runHttpProbe } from './probes/http-probe.js';
import type { ProbeResult } from './probes/probe-result.js';
import { initialProbeTracker, type ProbeTracker, stepProbeTracker } from './probes/probe-tracker.js';
import { runTcpProbe } from './probes/tcp-probe.js';
import { parsePrometheusText } from './prometheus-text.js';
import { silencesFor } from './silence-matchers.js';

/** What the engine needs from the outside world, each as narrow as it can be. */
export interface MonitorEngineDeps {
  clock: Clock;
  store: MonitorStore;
  /** Router URL, maintenance flag and serving revisions of each environment. */
  platform: Pick<Platform, 'getService' | 'listRevisions'>;
  /** The agent's Prometheus exposition (all environments' routers). */
  routerMetrics: () => Promise<string>;
  /** GET a URL and return its body (app pool metrics); throws on failure. */
  fetchText?: (url: string, timeoutMs: number) => Promise<string>;
  notifiers: readonly Notifier[];
  lookup: SecretLookup;
  metrics: MonitorMetrics;
  log: Logger;
  knownSecrets?: () => readonly string[];
  /** Called once per alert when it starts firing (the incident domain opens incidents from here). */
  onFiring?: (alert: AlertRecord) => Promise<void> | void;
  /**
   * Verdicts from checks that run elsewhere (schema drift, certificate expiry…): they go through the same
   * lifecycle, grouping and silences as the built-in rules.
   */
  signals?: (environment: string, nowMs: number) => Promise<RuleVerdict[]>;
  /** Probe runners, replaceable in tests that need a probe to hang. */
  probes?: Partial<{
    http: typeof runHttpProbe;
    tcp: typeof runTcpProbe;
    database: typeof runDatabaseProbe;
  }>;
}

export interface TickReport {
  at: number;
  verdicts: RuleVerdict[];
  transitions: AlertTransition[];
  notifications: NotificationMessage[];
  probes: Record<string, ProbeStatus[]>;
  errors: { environment: string; step: string; message: string }[];
}

async function defaultFetchText(url: string, timeoutMs: number): Promise<string> {
  const res = await fetch(url, {
    signal: AbortSignal.timeout(timeoutMs),
    headers: { accept: 'text/plain', [MONITOR_HEADER]: '1' },
  });
  const body = await res.text();
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return body;
}

/**
 * The monitor's core: one `tick()` runs due probes, scrapes metrics, evaluates the rules, steps the alert
 * lifecycle and sends grouped notifications. It holds series and probe trackers in memory and everything
 * the CLI shows in the state store.
 */
export class MonitorEngine {
  readonly #s: MonitorSettings;
  readonly #d: MonitorEngineDeps;
  readonly #series = new Map<string, MetricSeries>();
  readonly #trackers = new Map<string, ProbeTracker>();
  readonly #probeStatus = new Map<string, ProbeStatus>();
  readonly #nextProbeAt = new Map<string, number>();
  readonly #pending = new Set<Promise<unknown>>();

  constructor(settings: MonitorSettings, deps: MonitorEngineDeps) {
    this.#s = settings;
    this.#d = deps;
    for (const env of settings.environments) {
      this.#series.set(env, new MetricSeries({ retentionMs: settings.seriesRetentionMs }));
    }
  }

  /** Resolves when every delivery started so far has finished (tests and shutdown). */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  async tick(): Promise<TickReport> {
    const now = this.#d.clock.nowMs();
    const report: TickReport = {
      at: now,
      verdicts: [],
      transitions: [],
      notifications: [],
      probes: {},
      errors: [],
    };
    let routerPoints: ReturnType<typeof parsePrometheusText> = [];
    try {
      routerPoints = parsePrometheusText(await this.#d.routerMetrics());
    } catch (error) {
      report.errors.push({ environment: '*', step: 'scrape-router', message: messageOf(error) });
    }
    const silences = this.#d.store.readSilences();
    const allAlerts = new Map(this.#d.store.readAlerts().map((a) => [a.fingerprint, a]));
    await Promise.all(
      this.#s.environments.map(async (env) => {
        let service: Service | undefined;
        try {
          service = await this.#d.platform.getService(env);
        } catch (error) {
          report.errors.push({ environment: env, step: 'platform', message: messageOf(error) });
        }
        const probes = await this.#runProbes(env, service, now);
        report.probes[env] = probes;
        const apps = await this.#scrapeApps(env, service, report);
        const series = this.#series.get(env)!;
        series.add(assembleEnvironmentSample({ at: now, environment: env, router: routerPoints, apps }));
        const step = series.lastStep;
        if (step && step.to === now) this.#d.store.addTraffic(env, now, step.requests, step.errors);
        const verdicts = evaluateRules({
          environment: env,
          window: (ms) => series.window(now, ms),
          latest: series.latest,
          probes,
          rules: this.#s.rules[env]!,
        });
        if (this.#d.signals) {
          try {
            verdicts.push(...(await this.#d.signals(env, now)));
          } catch (error) {
            report.errors.push({ environment: env, step: 'signals', message: messageOf(error) });
          }
        }
        report.verdicts.push(...verdicts);
        // Step every alert; alerts with no verdict this time (a retired revision's pool) see "ok".
        const seen = new Set<string>();
        const next: AlertRecord[] = [];
        const transitions: AlertTransition[] = [];
        for (const v of verdicts) {
          const { next: alert, transition } = stepAlert(allAlerts.get(fingerprintOf(v)), v, now);
          seen.add(alert.fingerprint);
          next.push(alert);
          if (transition) transitions.push(transition);
        }
        for (const prev of allAlerts.values()) {
          if (prev.environment !== env || seen.has(prev.fingerprint) || prev.state === 'inactive') continue;
          const { next: alert, transition } = stepAlert(prev, verdictFor(prev), now);
          next.push(alert);
          if (transition) transitions.push(transition);
        }
        // Active alerts are written every tick (lastBreachAt drives keep_firing_for); quiet ones only when they change.
        const changed = next.filter((a) => {
          const before = allAlerts.get(a.fingerprint);
          return (
            !before ||
            a.state !== 'inactive' ||
            before.state !== a.state ||
            before.value !== a.value ||
            before.condition !== a.condition
          );
        });
        this.#d.store.writeAlerts(changed, transitions);
        for (const a of next) allAlerts.set(a.fingerprint, a);
        report.transitions.push(...transitions);
        for (const t of transitions) {
          if (t.kind !== 'firing' || !this.#d.onFiring) continue;
          try {
            await this.#d.onFiring(allAlerts.get(t.fingerprint)!);
          } catch (error) {
            report.errors.push({ environment: env, step: 'on-firing', message: messageOf(error) });
          }
        }
        // Group and notify.
        const envAlerts = [...allAlerts.values()].filter((a) => a.environment === env);
        const inMaintenance = service?.maintenance !== undefined;
        const planned = planGroupNotification({
          group: this.#d.store.readGroup(env) ?? emptyGroupState(env),
          alerts: envAlerts,
          isMuted: (a) => inMaintenance || silencesFor(silences, a.labels, now).length > 0,
          nowMs: now,
          grouping: this.#s.grouping,
        });
        this.#d.store.writeGroup(planned.group);
        if (planned.notification) {
          const message = formatAlertNotification(planned.notification, now);
          report.notifications.push(message);
          this.send(message);
        }
      }),
    );
    this.#d.metrics.observeAlerts([...allAlerts.values()]);
    this.#d.store.prune(now - this.#s.probeRetentionMs);
    for (const e of report.errors) {
      // An app without a /metrics endpoint is common: its scrape failures are debug noise, not warnings.
      const level = e.step.startsWith('scrape ') ? 'debug' : 'warn';
      this.#d.log[level](`monitor: ${e.environment} ${e.step}: ${e.message}`);
    }
    return report;
  }

  /** Records and delivers a message in the background; `idle()` waits for it. */
  send(message: NotificationMessage): Promise<DeliveryRecord[]> {
    this.#d.store.insertNotification(message, this.#d.clock.nowMs());
    const delivery = deliverNotification(this.#d.notifiers, message, this.#s.delivery, {
      clock: this.#d.clock,
      record: (d) => {
        this.#d.store.recordDelivery(d);
        this.#d.metrics.observeDelivery(d);
        if (d.status === 'failed')
          this.#d.log.warn(
            `monitor: notifier ${d.notifier} failed after ${d.attempts} attempts: ${d.lastError}`,
          );
      },
      ...(this.#d.knownSecrets ? { knownSecrets: this.#d.knownSecrets } : {}),
    });
    this.#pending.add(delivery);
    void delivery.finally(() => this.#pending.delete(delivery));
    return delivery;
  }

  async #runProbes(env: string, service: Service | undefined, now: number): Promise<ProbeStatus[]> {
    const probes = this.#s.probes[env] ?? [];
    return Promise.all(
      probes.map(async (p) => {
        const key = `${env}/${p.name}`;
        // An environment nothing was deployed to yet is not down: its router probe has no data.
        if (p.kind === 'http' && !p.url && service && service.traffic.length === 0 && !service.maintenance) {
          const idle: ProbeStatus = {
            name: p.name,
            kind: p.kind,
            state: 'unknown',
            error: 'no revision serves this environment yet',
          };
          this.#probeStatus.delete(key);
          this.#trackers.delete(key);
          return idle;
        }
        const previous = this.#probeStatus.get(key);
        if (previous && now < (this.#nextProbeAt.get(key) ?? 0)) return previous;
        this.#nextProbeAt.set(key, now + p.intervalMs);
        const result = await this.#runProbe(p, service);
        const tracker = stepProbeTracker(this.#trackers.get(key) ?? initialProbeTracker, result.ok, p);
        this.#trackers.set(key, tracker);
        const status: ProbeStatus = {
          name: p.name,
          kind: p.kind,
          state: tracker.state,
          latencyMs: result.latencyMs,
          ...(result.error ? { error: result.error } : {}),
        };
        this.#probeStatus.set(key, status);
        this.#d.store.recordProbeResult(
          { environment: env, probe: p.name, kind: p.kind, state: tracker.state, at: now },
          result,
        );
        this.#d.metrics.observeProbe(env, status);
        return status;
      }),
    );
  }

  async #runProbe(p: ProbeSettings, service: Service | undefined): Promise<ProbeResult> {
    switch (p.kind) {
      case 'http': {
        const url = p.url ?? (service ? new URL(p.path, service.url).toString() : undefined);
        if (!url)
          return {
            ok: false,
            latencyMs: 0,
            error: 'the platform does not know this environment (agent down?)',
          };
        return (this.#d.probes?.http ?? runHttpProbe)({
          url,
          timeoutMs: p.timeoutMs,
          expectStatus: p.expectStatus,
          // The router proxies it like any request but leaves it out of the traffic metrics.
          headers: { [MONITOR_HEADER]: '1' },
        });
      }
      case 'tcp':
        return (this.#d.probes?.tcp ?? runTcpProbe)({ host: p.host, port: p.port, timeoutMs: p.timeoutMs });
      case 'database': {
        let url: string;
        try {
          url = await this.#d.lookup(p.urlFrom);
        } catch (error) {
          return { ok: false, latencyMs: 0, error: `cannot read the connection URL: ${messageOf(error)}` };
        }
        return (this.#d.probes?.database ?? runDatabaseProbe)({ url, timeoutMs: p.timeoutMs });
      }
    }
  }

  async #scrapeApps(env: string, service: Service | undefined, report: TickReport) {
    const path = this.#s.appMetricsPath;
    if (!path || !service) return [];
    const serving = new Set(service.traffic.filter((t) => t.percent > 0).map((t) => t.revision));
    if (serving.size === 0) return [];
    let revisions: Awaited<ReturnType<Platform['listRevisions']>>;
    try {
      revisions = await this.#d.platform.listRevisions(env);
    } catch (error) {
      report.errors.push({ environment: env, step: 'revisions', message: messageOf(error) });
      return [];
    }
    const fetchText = this.#d.fetchText ?? defaultFetchText;
    const out: { revision: string; points: ReturnType<typeof parsePrometheusText> }[] = [];
    await Promise.all(
      revisions
        .filter((r) => serving.has(r.name) && r.state === 'ready')
        .map(async (r) => {
          try {
            out.push({
              revision: r.name,
              points: parsePrometheusText(await fetchText(new URL(path, r.url).toString(), 5000)),
            });
          } catch (error) {
            report.errors.push({ environment: env, step: `scrape ${r.name}`, message: messageOf(error) });
          }
        }),
    );
    return out;
  }
}

const fingerprintOf = (v: RuleVerdict) => alertFingerprint(v.rule, v.environment, v.labels);

/** An "ok" verdict for an alert whose subject disappeared (retired revision, removed probe). */
function verdictFor(a: AlertRecord): RuleVerdict {
  const { alertname: _a, env: _e, severity: _s, ...labels } = a.labels;
  return {
    rule: a.rule,
    environment: a.environment,
    severity: a.severity,
    labels,
    status: 'ok',
    threshold: a.threshold,
    summary: `${a.summary} (no longer reported)`,
    forMs: 0,
    keepFiringForMs: 0,
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
