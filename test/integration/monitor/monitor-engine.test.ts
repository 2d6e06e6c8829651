import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Counter, Histogram, Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/index.js';
import { ManualClock } from '../../../src/kernel/clock.js';
import { silentLogger } from '../../../src/kernel/logger.js';
import {
  createOperationNotifier,
  createSilence,
  type MonitorEngine,
  type MonitorMetrics,
  MonitorStore,
  parseMatcher,
  runMonitor,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifyWebhookSignature,
} from '../../../src/monitor/index.js';
import type { Platform, Service } from '../../../src/platform/index.js';
import { poolMetricsText } from '../../../src/runtime/index.js';
import { StateStore } from '../../../src/store/index.js';
import { startHttpSink } from './sinks.js';

const SECRET = 'hook-secret-9a8b7c6d5e4f3a2b1c0d';

/** The app: health and pool metrics on cue, over real HTTP. */
async function startApp() {
  const cue = { health: 200, waiting: 0, inUse: 2, connectFailures: 0 };
  const server: Server = createServer((req, res) => {
    if (req.url === '/health') {
      res.writeHead(cue.health);
      return res.end();
    }
    if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end(
        poolMetricsText({
          total: cue.inUse,
          acquired: 0,
          idle: 0,
          inUse: cue.inUse,
          waiting: cue.waiting,
          max: 10,
          saturated: cue.waiting > 0,
          connectFailures: cue.connectFailures,
          authFailures: 0,
          retries: 0,
          recovered: 0,
        }),
      );
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    cue,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** The router's exposition, with the agent's metric names: the traffic the test "serves" per tick. */
function routerExposition() {
  const registry = new Registry();
  const requests = new Counter({
    name: 'prodguard_router_requests_total',
    help: 'h',
    labelNames: ['service', 'revision', 'status_class'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'prodguard_router_request_duration_seconds',
    help: 'h',
    labelNames: ['service', 'revision'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
    registers: [registry],
  });
  return {
    text: () => registry.metrics(),
    serve(ok: number, failed: number, seconds = 0.02) {
      const labels = { service: 'production', revision: 'production-00001-abc' };
      if (ok) requests.inc({ ...labels, status_class: '2xx' }, ok);
      if (failed) requests.inc({ ...labels, status_class: '5xx' }, failed);
      for (let i = 0; i < ok + failed; i++) latency.observe(labels, seconds);
    },
  };
}

function config(stateDir: string, hook: string) {
  return parseConfigText(
    `version: 1
project: { name: api }
stateDir: ${stateDir}
app: { healthPath: /health }
environments:
  production: { protected: true }
monitor:
  tick: 10s
  probes:
    production:
      - { kind: http, name: health, interval: 10s, retries: 1, upRetries: 1 }
  grouping: { groupWait: 1m, groupInterval: 1m, repeatInterval: 1h }
  notifiers:
    - { kind: webhook, name: ops, url: "${hook}", secret: { env: HOOK_SECRET } }
  delivery: { attempts: 3, backoff: 1s }
`,
    join(stateDir, 'prodguard.yaml'),
  );
}

let app: Awaited<ReturnType<typeof startApp>>;
let sink: Awaited<ReturnType<typeof startHttpSink>>;
let store: StateStore;
let clock: ManualClock;
let router: ReturnType<typeof routerExposition>;
let maintenance = false;
let engine: MonitorEngine;
let metrics: MonitorMetrics;
const audit: { action: string; target?: string }[] = [];

beforeEach(async () => {
  app = await startApp();
  sink = await startHttpSink();
  store = StateStore.open(':memory:');
  clock = new ManualClock('2026-12-01T10:00:00Z');
  router = routerExposition();
  maintenance = false;
  const platform: Pick<Platform, 'getService' | 'listRevisions'> = {
    async getService(name): Promise<Service> {
      return {
        name,
        url: app.url,
        traffic: [{ revision: 'production-00001-abc', percent: 100 }],
        ...(maintenance ? { maintenance: { message: 'upgrading' } } : {}),
      };
    },
    async listRevisions(service) {
      return [
        {
          name: 'production-00001-abc',
          service,
          release: { commit: 'c', digest: 'd' },
          createdAt: '2026-12-01T09:00:00Z',
          state: 'ready',
          url: app.url,
          restarts: 0,
          secretVersions: {},
          labels: {},
        },
      ];
    },
  };
  const running = runMonitor({
    config: config('/tmp/unused-state', `${sink.url}/hook`),
    clock,
    maxTicks: 0, // the test drives tick() itself
    deps: {
      store,
      platform,
      routerMetrics: router.text,
      lookup: async (ref) => {
        if ('env' in ref && ref.env === 'HOOK_SECRET') return SECRET;
        throw new Error('unknown secret');
      },
      write: () => {},
      log: silentLogger,
    },
  });
  await running.stopped;
  engine = running.engine;
  metrics = running.metrics;
  audit.length = 0;
  verified = 0;
});

afterEach(async () => {
  await engine.idle();
  await app.close();
  await sink.close();
  store.close();
});

/** One monitor tick after serving `ok`/`failed` requests during the last 10 s. */
async function tick(ok: number, failed: number) {
  router.serve(ok, failed);
  clock.advance(10_000);
  const report = await engine.tick();
  await engine.idle();
  verifyNew();
  return report;
}

/** Every webhook request is verified (signature and freshness) at the moment it arrives. */
let verified = 0;
function verifyNew() {
  for (; verified < sink.received.length; verified++) {
    const r = sink.received[verified]!;
    const check = verifyWebhookSignature({
      secret: SECRET,
      body: r.body,
      signature: r.headers[SIGNATURE_HEADER] as string,
      timestamp: r.headers[TIMESTAMP_HEADER] as string,
      nowMs: clock.nowMs(),
    });
    expect(check).toEqual({ ok: true });
  }
}

const notifications = () => {
  verifyNew();
  return sink.received.map((r) => (JSON.parse(r.body) as { title: string }).title);
};

describe('monitor engine', () => {
  it('one outage, one notification; a resolve notice when it ends; no data without traffic', async () => {
    const first = await tick(0, 0);
    expect(first.verdicts.find((v) => v.rule === 'error-ratio')!.status).toBe('no-data');
    await tick(100, 0);
    // The outage: health answers 503 and 30 % of requests fail.
    app.cue.health = 503;
    for (let i = 0; i < 9; i++) await tick(70, 30);
    expect(notifications()).toEqual(['[FIRING:2] production: health-down, error-ratio']);
    const alerts = new MonitorStore(store).readAlerts({ states: ['firing'] });
    expect(alerts.map((a) => a.rule).sort()).toEqual(['error-ratio', 'health-down']);
    // Recovery.
    app.cue.health = 200;
    for (let i = 0; i < 60; i++) await tick(100, 0);
    // Health recovers first; the 5-minute error ratio and then the 1-hour burn rate (once 5 minutes of
    // history exist) still see the failed requests until they leave the window.
    expect(notifications()).toEqual([
      '[FIRING:2] production: health-down, error-ratio',
      '[FIRING:1] production: error-ratio (resolved: health-down)',
      '[FIRING:2] production: error-ratio, slo-burn-1h',
      '[FIRING:1] production: error-ratio (resolved: slo-burn-1h)',
      '[RESOLVED] production: error-ratio',
    ]);
    const deliveries = new MonitorStore(store).readDeliveries();
    expect(deliveries).toHaveLength(5);
    expect(
      deliveries.every((d) => d.notifier === 'ops' && d.status === 'delivered' && d.attempts === 1),
    ).toBe(true);
  });

  it('an alert firing before a maintenance window does not page again when the window ends', async () => {
    await tick(100, 0);
    app.cue.health = 503;
    for (let i = 0; i < 8; i++) await tick(100, 0);
    expect(notifications()).toEqual(['[FIRING:1] production: health-down']);
    maintenance = true;
    for (let i = 0; i < 30; i++) await tick(100, 0);
    maintenance = false;
    for (let i = 0; i < 30; i++) await tick(100, 0);
    expect(notifications()).toEqual(['[FIRING:1] production: health-down']);
  });

  it('silences mute matching alerts and are audited; pool exhaustion is found per revision', async () => {
    createSilence(
      {
        store: new MonitorStore(store),
        clock,
        audit: {
          append: (e) => {
            audit.push(e);
            return e as never;
          },
        },
      },
      {
        matchers: [parseMatcher('env=production'), parseMatcher('alertname=health-down')],
        durationMs: 3_600_000,
        reason: 'planned failover',
        actor: 'alice',
        defaultMs: 7_200_000,
      },
    );
    expect(audit).toMatchObject([{ action: 'silence.create' }]);
    app.cue.health = 503;
    for (let i = 0; i < 10; i++) await tick(100, 0);
    expect(notifications()).toEqual([]);
    app.cue.waiting = 7;
    app.cue.inUse = 10;
    for (let i = 0; i < 14; i++) await tick(100, 0);
    expect(notifications()).toEqual(['[FIRING:1] production: pool-exhaustion']);
    const firing = new MonitorStore(store).readAlerts({ states: ['firing'] });
    expect(firing.find((a) => a.rule === 'pool-exhaustion')!.summary).toBe(
      'production-00001-abc: 10/10 connections in use, 7 callers waiting',
    );
  });

  it('sends operation notices for protected environments only', async () => {
    const notify = createOperationNotifier(engine, ['production']);
    const sent = await notify({
      env: 'production',
      kind: 'deploy',
      phase: 'started',
      target: 'production-00002-xyz',
    });
    expect(sent.sent).toBe(true);
    expect(await notify({ env: 'staging', kind: 'deploy', phase: 'started' })).toMatchObject({ sent: false });
    expect(notifications()).toEqual(['[NOTICE] production: Deployment started']);
  });

  it('exposes probes, rule states and deliveries in Prometheus text', async () => {
    sink.statuses.push(500, 500, 500);
    app.cue.health = 503;
    for (let i = 0; i < 8; i++) await tick(100, 0);
    const text = await metrics.text();
    expect(text).toContain(
      'prodguard_monitor_probe_up{environment="production",probe="health",kind="http"} 0',
    );
    expect(text).toContain(
      'prodguard_monitor_alerts{environment="production",alertname="health-down",severity="page",alertstate="firing",fingerprint="health-down{env=production,probe=health}"} 1',
    );
    expect(text).toContain(
      'prodguard_monitor_rule_value{environment="production",alertname="error-ratio",fingerprint="error-ratio{env=production}"} 0',
    );
    // Three attempts, all refused: the failure is counted and recorded.
    expect(text).toContain(
      'prodguard_monitor_deliveries_total{notifier="ops",kind="webhook",status="failed"} 1',
    );
    expect(text).toContain('prodguard_monitor_delivery_attempts_total{notifier="ops",kind="webhook"} 3');
    expect(new MonitorStore(store).readDeliveries({ status: 'failed' })).toMatchObject([
      { notifier: 'ops', attempts: 3, lastError: expect.stringMatching(/HTTP 500/) },
    ]);
  });
});

describe('monitor engine on an environment nothing was deployed to', () => {
  it('reports no data for its router probe instead of paging', async () => {
    const quiet = runMonitor({
      config: config('/tmp/unused-state', `${sink.url}/hook`),
      clock,
      maxTicks: 0,
      deps: {
        store,
        platform: {
          getService: async (name) => ({ name, url: app.url, traffic: [] }),
          listRevisions: async () => [],
        },
        routerMetrics: async () => '',
        lookup: async () => SECRET,
        write: () => {},
        log: silentLogger,
      },
    });
    await quiet.stopped;
    app.cue.health = 503;
    for (let i = 0; i < 10; i++) {
      clock.advance(10_000);
      const report = await quiet.engine.tick();
      expect(report.probes.production).toMatchObject([{ state: 'unknown' }]);
    }
    await quiet.engine.idle();
    expect(sink.received).toEqual([]);
  });
});

describe('one monitor per project', () => {
  it('refuses a second monitor on the same store while the first holds its lease, and takes over an expired one', async () => {
    const deps = {
      store,
      platform: {
        getService: async (name: string) => ({ name, url: app.url, traffic: [] }),
        listRevisions: async () => [],
      },
      routerMetrics: async () => '',
      lookup: async () => SECRET,
      write: () => {},
      log: silentLogger,
    };
    const cfg = config('/tmp/unused-state', `${sink.url}/hook`);
    // The first monitor's sleep lasts until it is stopped: one tick, then it holds the lease.
    const parked = {
      now: () => clock.now(),
      nowMs: () => clock.nowMs(),
      sleep: (_ms: number, signal?: AbortSignal) =>
        new Promise<void>((_resolve, reject) =>
          signal?.addEventListener('abort', () => reject(new Error('stopped'))),
        ),
    };
    const first = runMonitor({ config: cfg, clock: parked, deps });
    expect(() => runMonitor({ config: cfg, clock, deps })).toThrow(
      expect.objectContaining({ code: 'PRODGUARD_MONITOR_ALREADY_RUNNING', kind: 'refused' }),
    );
    await first.stop();
    // Released on stop: the next one starts.
    const second = runMonitor({ config: cfg, clock, deps, maxTicks: 1 });
    await second.stopped;
    // A lease left by a crashed monitor expires (30 s at least) and is taken over.
    new MonitorStore(store).claimLease('crashed-host:1:dead', clock.nowMs(), 30_000);
    expect(() => runMonitor({ config: cfg, clock, deps, maxTicks: 0 })).toThrow(/crashed-host:1:dead/);
    clock.advance(30_001);
    await runMonitor({ config: cfg, clock, deps, maxTicks: 0 }).stopped;
  });
});
