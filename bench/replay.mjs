import './shared/bench-sandbox.mjs';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { git } from './shared/git.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const APP = join(ROOT, 'bench/replay/app.mjs');
const quick = process.argv.includes('--quick');
const { parseConfigText } = await import(join(ROOT, 'dist/config/index.js'));
const { buildRelease, LocalPlatform, runAgent } = await import(join(ROOT, 'dist/platform/index.js'));
const { StateStore } = await import(join(ROOT, 'dist/store/index.js'));
const { AuditLog } = await import(join(ROOT, 'dist/audit/index.js'));
const { systemClock } = await import(join(ROOT, 'dist/kernel/clock.js'));
const { silentLogger } = await import(join(ROOT, 'dist/kernel/logger.js'));
const { nodeProcessRunner } = await import(join(ROOT, 'dist/kernel/process-runner.js'));
const { freePort } = await import(join(ROOT, 'dist/kernel/free-port.js'));
const monitor = await import(join(ROOT, 'dist/monitor/index.js'));
const incident = await import(join(ROOT, 'dist/incident/index.js'));
const { readRevisionLogs } = await import(join(ROOT, 'dist/platform/index.js'));

/** Waits for a condition on real time, bounded; returns its value. */
async function until(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`replay: ${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Closed-loop load: `concurrency` users, each request timed; failures keep their time. */
function startLoad(url, concurrency, pauseMs) {
  // `failures` keeps each failure's time; `why` what it was (status and body, or the fetch error), so an
  // outcome that is not contained can say what failed.
  const rec = { sent: 0, failed: 0, failures: [], why: [] };
  let stopped = false;
  const fail = (why) => {
    rec.failed++;
    rec.failures.push(Date.now());
    rec.why.push(why);
  };
  const worker = async () => {
    while (!stopped && rec.sent < 500_000) {
      rec.sent++;
      try {
        const r = await fetch(`${url}/api/resumes`);
        const body = await r.text();
        if (r.status >= 500)
          fail(
            `${r.status} from ${r.headers.get('x-prodguard-revision') ?? 'the router'}: ${body.trim().slice(0, 80)}`,
          );
      } catch (error) {
        fail(String(error?.cause?.code ?? error?.message ?? error));
      }
      if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  return {
    rec,
    async stop() {
      stopped = true;
      await Promise.all(workers);
      return rec;
    },
  };
}

/** A row's load figures: failed and sent requests, and the time from the first failure to the last. */
function loadFigures(rec) {
  return {
    failed: rec.failed,
    sent: rec.sent,
    downtime: rec.failures.length ? rec.failures.at(-1) - rec.failures[0] : 0,
  };
}

/** The audit actions a replay left, each once. */
function auditActions(s) {
  return [...new Set(s.audit.list().map((e) => e.action))];
}

async function setup(name, options = {}) {
  const dir = mkdtempSync(join(tmpdir(), `prodguard-replay-${name}-`));
  cpSync(APP, join(dir, 'app.mjs'));
  writeFileSync(join(dir, 'package.json'), '{ "name": "replay-app", "private": true, "type": "module" }\n');
  writeFileSync(join(dir, '.gitignore'), '.prodguard/\n');
  writeFileSync(join(dir, 'behavior.json'), '{ "version": "v1" }\n');
  const text = `version: 1
project: { name: replay-app }
app:
  start: node app.mjs
  healthPath: /health
  startupTimeout: 10s
  drainTimeout: 2s
  stopGrace: 1s
  agentPort: ${await freePort()}
environments:
${options.environments ?? '  production: { protected: true }'}
monitor:
  tick: 1s
  appMetricsPath: ${options.appMetrics ? '/metrics' : 'null'}
  probes:
    production:
      - { kind: http, name: health, interval: 1s, retries: 1, upRetries: 2 }
  rules:
    errorRatio: { window: 10s, for: 2s, keepFiringFor: 5s }
    poolExhaustion: { for: 2s, keepFiringFor: 2s }
    restarts: { count: 3, window: 60s }
  grouping: { groupWait: 1s, groupInterval: 5s, repeatInterval: 1h }
  delivery: { attempts: 2, backoff: 200ms }
${options.configExtra ?? ''}
incident:
  rollbackWindow: 1h
  autoOpen:
    - { alert: error-ratio, severity: 2 }
`;
  writeFileSync(join(dir, 'prodguard.yaml'), text);
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'v1');
  const config = parseConfigText(text, join(dir, 'prodguard.yaml'));
  const agent = await runAgent({
    config,
    clock: systemClock,
    processes: nodeProcessRunner,
    log: silentLogger,
    env: process.env,
    port: 0,
  });
  const platform = new LocalPlatform({
    baseUrl: agent.url,
    token: readFileSync(agent.paths.token, 'utf8').trim(),
  });
  const store = StateStore.open(join(dir, '.prodguard/state.db'));
  const audit = new AuditLog(store, systemClock);
  const release = async (behavior, env = options.env ?? {}) => {
    writeFileSync(join(dir, 'behavior.json'), `${JSON.stringify(behavior)}\n`);
    git(dir, 'commit', '-q', '-am', behavior.version);
    const commit = git(dir, 'rev-parse', 'HEAD');
    const built = await buildRelease({
      commit,
      repoDir: dir,
      artifactsDir: join(dir, '.prodguard/artifacts'),
      processes: nodeProcessRunner,
      clock: systemClock,
    });
    const rev = await platform.createRevision({
      service: 'production',
      release: { commit: built.commit, digest: built.digest },
      env,
    });
    await platform.waitReady('production', rev.name, 10_000);
    audit.append({
      actor: 'replay',
      environment: 'production',
      action: 'deploy.production',
      target: rev.name,
      outcome: 'success',
    });
    return rev;
  };
  const notices = [];
  let rolledBackAt;
  let previous;
  const ports = {
    store,
    clock: systemClock,
    audit,
    platform,
    readLogs: (env, revision, tail) =>
      readRevisionLogs({ logsDir: agent.paths.logs, service: env, revision, tail }).map(
        (l) => `${l.at} ${l.stream} ${l.text}`,
      ),
    readAuditTail: (n) => audit.list({ limit: n }),
    // The deploy kernel's rollback, reduced to what it does here: all traffic back on the previous revision.
    rollback: async (env, reason) => {
      await platform.setTraffic(env, [{ revision: previous.name, percent: 100 }]);
      audit.append({
        actor: 'prodguard',
        environment: env,
        action: 'rollback.production',
        target: previous.name,
        reason,
        outcome: 'success',
      });
      rolledBackAt = Date.now();
      return { revision: previous.name, message: `traffic back on ${previous.name}` };
    },
  };
  const settings = incident.normalizeIncidentSettings(config);
  const running = monitor.runMonitor({
    config,
    clock: systemClock,
    deps: {
      store,
      platform,
      routerMetrics: () => agent.agent.metrics.registry.metrics(),
      lookup: async () => '',
      write: (line) => notices.push({ at: Date.now(), line }),
      log: silentLogger,
      onFiring: incident.createIncidentOpener(ports, settings),
      ...(options.signals ? { signals: options.signals } : {}),
    },
  });
  return {
    dir,
    config,
    platform,
    store,
    audit,
    release,
    notices,
    ports,
    settings,
    setPrevious: (rev) => {
      previous = rev;
    },
    rolledBackAt: () => rolledBackAt,
    firingAt: (rule) => {
      const t = new monitor.MonitorStore(store)
        .readTransitions({ environment: 'production' })
        .find((x) => x.rule === rule && x.kind === 'firing');
      return t?.at;
    },
    async close() {
      await running.stop();
      await platform.close();
      await agent.stop();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const secs = (ms) => (ms === undefined ? '—' : `${(ms / 1000).toFixed(1)} s`);

/** #2: a release that starts failing 30 % of requests after its watch ended. */
async function releaseFailingAfterWatch() {
  const s = await setup('late-failure');
  try {
    const v1 = await s.release({ version: 'v1' });
    await s.platform.setTraffic('production', [{ revision: v1.name, percent: 100 }]);
    const url = (await s.platform.getService('production')).url;
    const load = startLoad(url, 4, 10);
    await until(() => load.rec.sent > 200, 20_000, 'warm-up traffic');
    s.setPrevious(v1);
    const v2 = await s.release({ version: 'v2', failRate: 0.3, failAfter: quick ? 300 : 1500 });
    await s.platform.setTraffic('production', [{ revision: v2.name, percent: 100 }]);
    const firstFailure = await until(() => load.rec.failures[0], 60_000, 'the first failure');
    await until(() => s.rolledBackAt(), 60_000, 'the automatic rollback');
    await until(() => load.rec.failures.at(-1) < Date.now() - 2000, 30_000, 'errors to stop');
    const rec = await load.stop();
    const open = new incident.IncidentStore(s.store).list({ openOnly: true })[0];
    const resolved = incident.resolveIncident(
      s.ports,
      { postmortemDir: join(s.dir, 'postmortems') },
      {
        id: open.id,
        rootCause: 'v2 dereferences a missing field once its cache warms up',
        actor: 'replay',
      },
    );
    const md = readFileSync(resolved.postmortemPath, 'utf8');
    return {
      name: '2. release fails 30 % after its watch',
      outcome: 'mitigated (alert → incident → rollback → postmortem)',
      ...loadFigures(rec),
      ttd: s.firingAt('error-ratio') - firstFailure,
      ttm: s.rolledBackAt() - firstFailure,
      audit: auditActions(s),
      extra: `postmortem ${md.split('\n').length} lines, impact ${resolved.impact.failedRequests} failed, ${resolved.impact.degradedMinutes} min degraded`,
    };
  } finally {
    await s.close();
  }
}

/** A clock at `iso` when created, moving in real time from there (the pipeline's pauses stay real). */
function clockAt(iso) {
  const offset = Date.parse(iso) - Date.now();
  return {
    now: () => new Date(Date.now() + offset),
    nowMs: () => Date.now() + offset,
    sleep: (ms, signal) => systemClock.sleep(ms, signal),
  };
}

/** #5: a deploy on a Friday afternoon, and one during an open incident: refused; the override audited. */
async function fridayAndIncident() {
  const deployMod = await import(join(ROOT, 'dist/deploy/index.js'));
  const { deployConfigSchema } = await import(join(ROOT, 'dist/config/sections/deploy.js'));
  const { OperationStore } = await import(join(ROOT, 'dist/operations/index.js'));
  const { peekRelease } = await import(join(ROOT, 'dist/platform/index.js'));
  const { preflightDeployChecks } = await import(join(ROOT, 'dist/preflight/index.js'));
  const s = await setup('friday', {
    configExtra: `timezone: UTC
rules:
  tests-pass: { severity: off }
  coverage-minimums: { severity: off }
  change-documented: { severity: off }
  up-to-date: { severity: off }
`,
    environments: '  staging: { protected: true }\n  production: { protected: true, requires: staging }',
  });
  try {
    const v1 = await s.release({ version: 'v1' });
    await s.platform.setTraffic('production', [{ revision: v1.name, percent: 100 }]);
    s.setPrevious(v1);
    const url = (await s.platform.getService('production')).url;
    const load = startLoad(url, 4, 10);
    writeFileSync(join(s.dir, 'behavior.json'), '{ "version": "v2" }\n');
    git(s.dir, 'commit', '-q', '-am', 'v2');
    const commit = git(s.dir, 'rev-parse', 'HEAD');
    const config = {
      ...s.config,
      deploy: deployConfigSchema.parse({
        strategy: 'canary',
        steps: [50, 100],
        stepDuration: '1s',
        analysis: {
          interval: '500ms',
          window: '2s',
          consecutiveBreaches: 2,
          minRequests: 5,
          holdTimeout: '5s',
        },
      }),
      watch: 2000,
    };
    const deps = (clock) => ({
      platform: s.platform,
      ops: new OperationStore(s.store, clock, s.audit),
      store: new deployMod.DeployStore(s.store, clock),
      clock,
      processes: nodeProcessRunner,
      probe: deployMod.createHttpProbeClient(),
      events: new deployMod.DeployEvents(),
      actor: 'replay',
      env: process.env,
      // The checklist as the CLI binds it: freeze, incident, tree, branch… on this clock.
      checks: preflightDeployChecks({
        config: s.config,
        store: s.store,
        audit: s.audit,
        clock,
        processes: nodeProcessRunner,
        log: silentLogger,
        env: process.env,
        logsDir: join(s.dir, '.prodguard/logs'),
      }),
      builder: {
        build: (c, signal) =>
          buildRelease({
            commit: c,
            repoDir: s.dir,
            artifactsDir: s.config.artifactsDirPath,
            processes: nodeProcessRunner,
            clock,
            ...(signal ? { signal } : {}),
          }),
        peek: (c) =>
          peekRelease({
            commit: c,
            repoDir: s.dir,
            artifactsDir: s.config.artifactsDirPath,
            processes: nodeProcessRunner,
          }),
      },
    });
    const friday = clockAt('2026-12-04T15:30:00Z');
    const wednesday = clockAt('2026-12-02T10:00:00Z');
    const request = { environment: 'production', commit, watchMs: 2000 };
    // Staging first (not the final environment, so a Friday does not stop it): the release is verified.
    const staged = await deployMod.runDeploy(config, { ...request, environment: 'staging' }, deps(friday));
    if (staged.outcome !== 'success') throw new Error(`staging deploy: ${staged.message}`);
    const t0 = Date.now();
    const onFriday = await deployMod.runDeploy(config, request, deps(friday));
    const fridayMs = Date.now() - t0;
    const opened = await incident.openIncident(s.ports, s.settings, {
      environment: 'production',
      severity: 2,
      title: 'API answers 503 on /api/resumes',
      actor: 'replay',
    });
    const t1 = Date.now();
    const duringIncident = await deployMod.runDeploy(config, request, deps(wednesday));
    const incidentMs = Date.now() - t1;
    // The fix itself: a hotfix on a Friday, the freeze overridden with a reason (both audited).
    const hotfix = await deployMod.runDeploy(
      config,
      {
        ...request,
        hotfix: { reason: 'fixes the 503s of the open incident' },
        overrides: [{ ruleId: 'no-friday-deploys', reason: 'hotfix for the open SEV-2 incident' }],
      },
      deps(friday),
    );
    const rec = await load.stop();
    const failedRule = (r) => r.verdicts.filter((v) => v.status === 'fail').map((v) => v.id);
    const overrides = s.audit.list().filter((e) => e.action === 'rule.override');
    const ok =
      onFriday.outcome === 'refused' &&
      duringIncident.outcome === 'refused' &&
      hotfix.outcome === 'success' &&
      overrides.length > 0;
    return {
      name: '5. deploy on a Friday 15:30, and during an open SEV-2',
      outcome: ok
        ? `prevented: both refused (${failedRule(onFriday).join(', ')}; ${failedRule(duringIncident).join(', ')}); hotfix with override audited`
        : `NOT prevented: friday ${onFriday.outcome}, incident ${duringIncident.outcome}, hotfix ${hotfix.outcome}`,
      ...loadFigures(rec),
      ttd: Math.max(fridayMs, incidentMs),
      ttm: undefined,
      audit: auditActions(s),
      extra: `refused in ${fridayMs} ms (Friday) and ${incidentMs} ms (incident ${opened.incident.id}), before any build; override: ${overrides.map((e) => `${e.target} "${e.reason}" by ${e.actor}`).join('; ')}; hotfix ${hotfix.outcome} (${hotfix.revision})`,
    };
  } finally {
    await s.close();
  }
}

/** An embedded PostgreSQL 15 cluster for one replay. */
async function embeddedCluster() {
  const { startEmbeddedCluster } = await import(join(ROOT, 'dist/kernel/load-embedded-postgres.js'));
  const pgDir = mkdtempSync(join(tmpdir(), 'prodguard-replay-pg-'));
  const cluster = await startEmbeddedCluster({
    dir: pgDir,
    port: await freePort(),
    password: 'replay-pw',
    settings: { fsync: 'off' },
  });
  return {
    port: cluster.port,
    url: (db = 'postgres') => `postgresql://postgres:replay-pw@127.0.0.1:${cluster.port}/${db}`,
    async stop() {
      await cluster.stop();
      rmSync(pgDir, { recursive: true, force: true });
    },
  };
}

/** #6: a secret overwritten instead of versioned: immutable versions, the pinned one serves, pin back restores. */
async function secretOverwritten() {
  const secrets = await import(join(ROOT, 'dist/secrets/index.js'));
  const { RULE_IDS } = await import(join(ROOT, 'dist/rules/index.js'));
  const cluster = await embeddedCluster();
  const s = await setup('secret', { env: { PRODGUARD_RUNTIME: join(ROOT, 'dist/runtime/index.js') } });
  try {
    const { vault } = secrets.openSecretVault({
      store: s.store,
      clock: systemClock,
      env: {},
      stateDir: join(s.dir, '.prodguard'),
    });
    const ctx = {
      config: parseConfigText(
        'version: 1\nproject: { name: replay-app }\nfreeze: { weekdays: [] }\nenvironments:\n  production: { protected: true }\n',
        join(s.dir, 'prodguard.yaml'),
        RULE_IDS,
      ),
      vault,
      pins: new secrets.SecretPins(s.store, systemClock),
      store: s.store,
      audit: s.audit,
      clock: systemClock,
      log: silentLogger,
      actor: 'replay',
      knownSecrets: new Set(),
    };
    const ref = { name: 'DATABASE_URL', environment: 'production' };
    const good = cluster.url();
    await secrets.addSecretVersion(ctx, { ...ref, value: good }); // v1, pinned as the first version
    const behavior = { version: 'v1', pool: { max: 4, queryMs: 1 } };
    // Every revision starts with the pinned versions, as the platform resolves them.
    const pinnedEnv = async () => ({
      PRODGUARD_RUNTIME: join(ROOT, 'dist/runtime/index.js'),
      ...(await secrets.resolveSecretEnv(vault, 'production', ctx.pins.forEnvironment('production'))),
    });
    const v1 = await s.release(behavior, await pinnedEnv());
    await s.platform.setTraffic('production', [{ revision: v1.name, percent: 100 }]);
    s.setPrevious(v1);
    const url = (await s.platform.getService('production')).url;
    const load = startLoad(url, 4, 10);
    await until(() => load.rec.sent > 100, 20_000, 'warm-up traffic');
    // The mistake: the value "overwritten" with a wrong password. The vault adds v2; v1 is untouched.
    const wrong = new URL(good);
    wrong.password = 'typo-in-the-console';
    await secrets.addSecretVersion(ctx, { ...ref, value: wrong.toString() });
    // A restart after the overwrite (the classic moment of a versionless store's outage) still gets v1.
    const restarted = await s.release({ ...behavior, version: 'v1-restart' }, await pinnedEnv());
    await s.platform.setTraffic('production', [{ revision: restarted.name, percent: 100 }]);
    s.setPrevious(restarted);
    await until(() => load.rec.sent > 400, 30_000, 'traffic on the restarted revision');
    const failedAfterRestart = load.rec.failed;
    const versions = (await vault.listVersions(ref)).map((v) => `v${v.version} ${v.state}`);
    const v1Intact = (await vault.accessVersion(ref, 1)) === good;
    // Then someone pins v2 and rolls out: the outage a versionless store has at once.
    await secrets.pinSecretVersion(ctx, { ...ref, version: 2, reason: 'use the new password' });
    const bad = await s.release({ ...behavior, version: 'v2-bad-secret' }, await pinnedEnv());
    await s.platform.setTraffic('production', [{ revision: bad.name, percent: 100 }]);
    const firstFailure = await until(
      () => load.rec.failures[failedAfterRestart],
      30_000,
      'the first failure on v2',
    );
    // The monitor fires, the incident opens and rolls traffic back to the revision holding v1;
    // then the pin goes back to v1 so the next revision starts with it too.
    await until(() => s.rolledBackAt(), 60_000, 'the automatic rollback');
    await secrets.pinSecretVersion(ctx, { ...ref, version: 1, reason: 'v2 is wrong: pin back' });
    const fixed = await s.release({ ...behavior, version: 'v1-pinned-back' }, await pinnedEnv());
    await s.platform.setTraffic('production', [{ revision: fixed.name, percent: 100 }]);
    const pinnedBackAt = Date.now();
    await until(() => (load.rec.failures.at(-1) ?? 0) < Date.now() - 2000, 30_000, 'errors to stop');
    const rec = await load.stop();
    // Contained means: no revision started with v1 ever failed a request, and nothing failed after the pin
    // back but requests still in flight on the v2 revision (each failure names the revision that answered).
    const fromV2 = (i) => rec.why[i].includes(`from ${bad.name}:`);
    const late = rec.failures.flatMap((t, i) =>
      t > pinnedBackAt && !fromV2(i) ? [`+${t - pinnedBackAt} ms ${rec.why[i]}`] : [],
    );
    const lateFailures = late.length;
    const v2Late = rec.failures.filter((t, i) => t > pinnedBackAt && fromV2(i)).length;
    return {
      name: '6. secret overwritten instead of versioned',
      outcome:
        failedAfterRestart === 0 && v1Intact && lateFailures === 0
          ? 'prevented on restart (pinned v1 served); bad pin mitigated (rollback, pin back)'
          : `NOT contained: ${failedAfterRestart} failures after the restart, v1 intact ${v1Intact}, ${lateFailures} after pin back${late.length ? ` (${late.slice(0, 4).join('; ')})` : ''}`,
      ...loadFigures(rec),
      ttd: s.firingAt('error-ratio') - firstFailure,
      ttm: s.rolledBackAt() - firstFailure,
      audit: auditActions(s),
      extra: `vault ${versions.join(', ')}; v1 unchanged: ${v1Intact}; 0 failed by the overwrite itself (${failedAfterRestart}); failures only while v2 was pinned and served${v2Late ? ` (${v2Late} in flight on ${bad.name} ended after the pin back)` : ''}`,
    };
  } finally {
    await s.close();
    await cluster.stop();
  }
}

/** Closed-loop database load through a pg pool: every query's latency, stamped with its end. */
function startDbLoad(pool, concurrency) {
  const rec = { latencies: [], failed: 0, sent: 0 };
  let stopped = false;
  const worker = async () => {
    while (!stopped && rec.sent < 500_000) {
      rec.sent++;
      const t0 = performance.now();
      try {
        await pool.query('SELECT count(*) FROM "Resume"');
        rec.latencies.push([Date.now(), performance.now() - t0]);
      } catch {
        rec.failed++;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  return {
    rec,
    async stop() {
      stopped = true;
      await Promise.all(workers);
      return rec;
    },
  };
}

const p99 = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] : 0;
};

/** #3: a migration waiting for its lock behind a long transaction while the app serves traffic. */
async function migrationBehindLock() {
  const pg = (await import('pg')).default;
  const cluster = await embeddedCluster();
  const dir = mkdtempSync(join(tmpdir(), 'prodguard-replay-lock-'));
  const LONG_MS = 2500;
  const SLO_MS = 500;
  try {
    const admin = new pg.Client({ connectionString: cluster.url() });
    await admin.connect();
    for (const db of ['naive', 'app']) await admin.query(`CREATE DATABASE ${db}`);
    await admin.end();
    const folder = (name) => join(dir, 'prisma/migrations', name);
    mkdirSync(folder('20260101000000_init'), { recursive: true });
    const init =
      'CREATE TABLE "Resume" ("id" SERIAL PRIMARY KEY, "title" TEXT NOT NULL);\nINSERT INTO "Resume"("title") SELECT \'r\' || g FROM generate_series(1, 1000) g;\n';
    writeFileSync(join(folder('20260101000000_init'), 'migration.sql'), init);
    writeFileSync(join(dir, 'prisma/migrations/migration_lock.toml'), 'provider = "postgresql"\n');
    writeFileSync(join(dir, '.gitignore'), '.prodguard/\n');
    writeFileSync(
      join(dir, 'prodguard.yaml'),
      `version: 1
project: { name: replay-app }
freeze: { weekdays: [] }
database:
  migrations: prisma/migrations
  shadowUrlEnv: REPLAY_SHADOW_URL
  lockTimeout: 200ms
environments:
  production:
    database: { urlEnv: REPLAY_DATABASE_URL }
`,
    );
    git(dir, 'init', '-q', '-b', 'main');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'init');
    const env = {
      ...process.env,
      REPLAY_DATABASE_URL: cluster.url('app'),
      REPLAY_SHADOW_URL: cluster.url(),
      PRODGUARD_ACTOR: 'replay',
      NO_COLOR: '1',
    };
    const cli = (args) =>
      nodeProcessRunner.run(process.execPath, [join(ROOT, 'bin/prodguard.js'), ...args], {
        cwd: dir,
        env,
        timeoutMs: 120_000,
      });
    const first = await cli(['migrate', 'deploy', 'production']);
    if (first.exitCode !== 0) throw new Error(`migrate deploy: ${first.stdout}${first.stderr}`);
    const ddl = 'ALTER TABLE "Resume" ADD COLUMN "note" TEXT;\n';
    mkdirSync(folder('20260102000000_note'), { recursive: true });
    writeFileSync(join(folder('20260102000000_note'), 'migration.sql'), ddl);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'note');

    /** One run: the app's load, a long transaction, the migration; p99 of the app while it lasts. */
    const run = async (database, migrate) => {
      const setupClient = new pg.Client({ connectionString: cluster.url(database) });
      await setupClient.connect();
      if (database === 'naive') await setupClient.query(init);
      await setupClient.end();
      const pool = new pg.Pool({ connectionString: cluster.url(database), max: 8 });
      pool.on('error', () => {});
      const load = startDbLoad(pool, 8);
      await until(() => load.rec.latencies.length > 200, 20_000, 'warm-up queries');
      const long = new pg.Client({ connectionString: cluster.url(database) });
      await long.connect();
      await long.query('BEGIN');
      await long.query('SELECT count(*) FROM "Resume"'); // a report holding ACCESS SHARE
      const start = Date.now();
      const ended = new Promise((resolve) =>
        setTimeout(() => long.query('COMMIT').then(resolve, resolve), LONG_MS),
      );
      const outcome = await migrate();
      await ended;
      const doneAt = Date.now();
      await new Promise((r) => setTimeout(r, 300));
      const rec = await load.stop();
      await long.end();
      await pool.end();
      const during = rec.latencies.filter(([at]) => at >= start).map(([, ms]) => ms);
      return {
        p99: p99(during),
        max: Math.max(...during),
        failed: rec.failed,
        sent: rec.sent,
        ms: doneAt - start,
        outcome,
      };
    };
    const naive = await run('naive', async () => {
      const c = new pg.Client({ connectionString: cluster.url('naive') });
      await c.connect();
      await c.query(ddl); // no lock_timeout: queues for ACCESS EXCLUSIVE, and every query queues behind it
      await c.end();
      return 'applied after the long transaction';
    });
    const guarded = await run('app', async () => {
      const r = await cli(['migrate', 'deploy', 'production']);
      return r.exitCode === 0 ? 'applied' : `failed: ${r.stdout.split('\n').slice(-3).join(' ')}`;
    });
    const state = StateStore.open(join(dir, '.prodguard/state.db'));
    const retries = state.db
      .prepare("SELECT data FROM operation_steps WHERE step LIKE 'lock-retry:%' ORDER BY rowid")
      .all()
      .map((r) => JSON.parse(r.data));
    const actions = state.db
      .prepare('SELECT action FROM audit_events ORDER BY rowid')
      .all()
      .map((r) => r.action);
    state.close();
    const auditActions = [...new Set(actions)];
    const within = guarded.p99 <= SLO_MS && guarded.outcome === 'applied';
    return {
      name: `3. migration behind a ${LONG_MS / 1000} s transaction (lock_timeout 200 ms)`,
      outcome: within
        ? `prevented: app p99 ${Math.round(guarded.p99)} ms ≤ SLO ${SLO_MS} ms (naive ${Math.round(naive.p99)} ms = ${(naive.p99 / guarded.p99).toFixed(1)}×), applied after ${retries.length} retries`
        : `NOT within SLO: p99 ${Math.round(guarded.p99)} ms, ${guarded.outcome}`,
      failed: guarded.failed,
      sent: guarded.sent,
      downtime: 0,
      ttd: undefined,
      ttm: undefined,
      audit: auditActions,
      extra: `naive ALTER (no lock_timeout): p99 ${Math.round(naive.p99)} ms, max ${Math.round(naive.max)} ms; prodguard: p99 ${Math.round(guarded.p99)} ms, max ${Math.round(guarded.max)} ms, retries journaled with pauses ${retries.map((r) => `${r.waitMs} ms`).join(', ')}`,
    };
  } finally {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** #1: the Nov 7 outage: the password changed on the production database while pools hold connections. */
async function passwordChangedUnderPools() {
  const { rotationScenario, rotationStrategies } = await import('./shared/rotation-under-load.mjs');
  const cluster = await embeddedCluster();
  const load = { queries: quick ? 4000 : 20_000, concurrency: quick ? 16 : 50 };
  const FIX_MS = 1500; // the naive change is noticed and fixed by hand 1.5 s later (it took longer on Nov 7)
  const strategies = rotationStrategies(FIX_MS);
  try {
    const rows = [];
    for (const [name, label] of [
      ['alternating users', '1. Nov 7: password changed under pooled load, prodguard `secrets rotate`'],
      ['naive ALTER ROLE', '1. Nov 7 baseline: naive ALTER ROLE, fixed by hand'],
    ]) {
      const r = await rotationScenario(cluster, name, strategies[name], load);
      const errors =
        Object.entries(r.codes)
          .map(([code, n]) => `${code}×${n}`)
          .join(' ') || 'none';
      rows.push({
        name: label,
        outcome:
          r.failed === 0
            ? `prevented: rotation ${r.outcome}, 0 failed queries`
            : `outage: ${r.failed} failed queries (${errors})`,
        failed: r.failed,
        sent: r.queries,
        downtime: r.failures.length ? r.failures.at(-1) - r.failures[0] : 0,
        // Nothing detects the naive change (—); its failures stop when the hand-made fix lands.
        ttd: undefined,
        ttm: r.failures.length ? r.failures.at(-1) - r.rotationStartedAt : undefined,
        audit: r.auditActions,
        extra: `${load.concurrency} clients, ${r.queries} queries, pools max 10 retiring connections after 1 s; rotation ${Math.round(r.rotationMs)} ms, ${r.pools} pool(s); errors ${errors}`,
      });
    }
    return rows;
  } finally {
    await cluster.stop();
  }
}

/** #7a: a revision that crash-loops after becoming ready. */
async function crashLoop() {
  const s = await setup('crash-loop');
  try {
    const v1 = await s.release({ version: 'v1' });
    await s.platform.setTraffic('production', [{ revision: v1.name, percent: 100 }]);
    const v3 = await s.release({ version: 'v3', crashAfterMs: 400 });
    await s.platform.setTraffic('production', [
      { revision: v3.name, percent: 10 },
      { revision: v1.name, percent: 90 },
    ]);
    const url = (await s.platform.getService('production')).url;
    const load = startLoad(url, 4, 10);
    const start = Date.now();
    const firing = await until(() => s.firingAt('revision-restarts'), 60_000, 'the crash-loop alert');
    const alert = new monitor.MonitorStore(s.store)
      .readAlerts({ states: ['firing'] })
      .find((a) => a.rule === 'revision-restarts');
    const rec = await load.stop();
    return {
      name: '7a. crash-looping revision (10 % canary)',
      outcome: `detected: ${alert?.summary ?? 'revision-restarts'}`,
      ...loadFigures(rec),
      ttd: firing - start,
      ttm: undefined,
      audit: auditActions(s),
      extra: 'mitigation: operator rollback (not automatic for a canary)',
    };
  } finally {
    await s.close();
  }
}

/** #7b: a connection pool exhausted by slow queries on real PostgreSQL (embedded). */
async function poolExhaustion() {
  const cluster = await embeddedCluster();
  const s = await setup('pool', {
    appMetrics: true,
    env: {
      DATABASE_URL: cluster.url(),
      PRODGUARD_RUNTIME: join(ROOT, 'dist/runtime/index.js'),
    },
  });
  try {
    const v1 = await s.release({ version: 'v1', pool: { max: 2, queryMs: 300 } });
    await s.platform.setTraffic('production', [{ revision: v1.name, percent: 100 }]);
    const url = (await s.platform.getService('production')).url;
    const start = Date.now();
    const load = startLoad(url, 12, 0);
    const firing = await until(() => s.firingAt('pool-exhaustion'), 60_000, 'the pool-exhaustion alert');
    const alert = new monitor.MonitorStore(s.store)
      .readAlerts({ states: ['firing'] })
      .find((a) => a.rule === 'pool-exhaustion');
    const latency = new monitor.MonitorStore(s.store).readAlerts({}).find((a) => a.rule === 'latency-p95');
    const rec = await load.stop();
    return {
      name: '7b. exhausted connection pool (max 2, 12 users, 300 ms queries)',
      outcome: `detected: ${alert?.summary ?? 'pool-exhaustion'}`,
      ...loadFigures(rec),
      ttd: firing - start,
      ttm: undefined,
      audit: auditActions(s),
      extra: `p95 meanwhile: ${latency?.summary ?? 'no data'}`,
    };
  } finally {
    await s.close();
    await cluster.stop();
  }
}

/** #4: a column added and an index dropped by hand on production: drift detected, alert raised. */
async function driftByHand() {
  const cluster = await embeddedCluster();
  // The drift check joins the running monitor as a signal once the project has its migrations.
  let signal;
  const s = await setup('drift', {
    signals: (env, now) => (signal ? signal(env, now) : Promise.resolve([])),
  });
  try {
    const pg = (await import('pg')).default;
    const client = new pg.Client({ connectionString: cluster.url('postgres') });
    await client.connect();
    await client.query('CREATE DATABASE app');
    await client.end();
    const folder = join(s.dir, 'prisma/migrations/20260101000000_init');
    mkdirSync(folder, { recursive: true });
    writeFileSync(
      join(folder, 'migration.sql'),
      'CREATE TABLE "Resume" ("id" SERIAL PRIMARY KEY, "title" TEXT NOT NULL);\nCREATE INDEX "Resume_title_idx" ON "Resume"("title");\n',
    );
    writeFileSync(join(s.dir, 'prisma/migrations/migration_lock.toml'), 'provider = "postgresql"\n');
    writeFileSync(
      join(s.dir, 'prodguard.yaml'),
      `${readFileSync(join(s.dir, 'prodguard.yaml'), 'utf8').replace('environments:\n  production: { protected: true }', `database:\n  migrations: prisma/migrations\n  shadowUrlEnv: REPLAY_SHADOW_URL\nenvironments:\n  production:\n    database: { urlEnv: REPLAY_DATABASE_URL }`)}`,
    );
    git(s.dir, 'add', '-A');
    git(s.dir, 'commit', '-q', '-m', 'init migration');
    const env = {
      ...process.env,
      REPLAY_DATABASE_URL: cluster.url('app'),
      REPLAY_SHADOW_URL: cluster.url('postgres'),
      PRODGUARD_ACTOR: 'replay',
      NO_COLOR: '1',
    };
    const cli = (args) =>
      nodeProcessRunner.run(process.execPath, [join(ROOT, 'bin/prodguard.js'), ...args], {
        cwd: s.dir,
        env,
        timeoutMs: 120_000,
      });
    const applied = await cli(['migrate', 'deploy', 'production']);
    if (applied.exitCode !== 0) throw new Error(`migrate deploy: ${applied.stdout}${applied.stderr}`);
    // The drift check as a monitor signal: every 2 s here (hourly is a sensible production default).
    signal = monitor.createPeriodicCheck({
      rule: 'schema-drift',
      environment: 'production',
      severity: 'page',
      intervalMs: 2000,
      check: async () => {
        const r = await cli(['db', 'drift', 'production', '--json']);
        const body = JSON.parse(r.stdout);
        if (body.error) throw new Error(body.error.message);
        const d = body.differences ?? [];
        return {
          breach: d.length > 0,
          value: d.length,
          summary: d.length
            ? `${d.length} difference(s) from the migrations: ${d.map((x) => `${x.change} ${x.kind} ${x.object}`).join('; ')}`
            : 'schema matches the migrations',
        };
      },
    });
    // Clean first: the monitor ticks until the first check has reported.
    const driftAlert = () =>
      new monitor.MonitorStore(s.store)
        .readAlerts({ environment: 'production' })
        .find((a) => a.rule === 'schema-drift');
    await until(() => driftAlert()?.condition === 'ok', 60_000, 'the first drift check');
    const c = new pg.Client({ connectionString: cluster.url('app') });
    await c.connect();
    await c.query('ALTER TABLE "Resume" ADD COLUMN "hotfix_note" TEXT');
    await c.query('DROP INDEX "Resume_title_idx"');
    await c.end();
    const changedAt = Date.now();
    const firing = await until(() => s.firingAt('schema-drift'), 60_000, 'the drift alert');
    await until(
      () => s.notices.find((n) => n.line.includes('schema-drift')),
      30_000,
      'the drift notification',
    );
    const alert = new monitor.MonitorStore(s.store)
      .readAlerts({ states: ['firing'] })
      .find((a) => a.rule === 'schema-drift');
    return {
      name: '4. column added and index dropped by hand',
      outcome: 'detected: schema-drift alert raised and notified',
      failed: 0,
      sent: 0,
      downtime: 0,
      ttd: firing - changedAt,
      ttm: undefined,
      audit: auditActions(s),
      extra: alert?.summary ?? '',
    };
  } finally {
    await s.close();
    await cluster.stop();
  }
}

const started = Date.now();
const rows = [];
const REPLAYS = {
  passwordChangedUnderPools,
  releaseFailingAfterWatch,
  migrationBehindLock,
  driftByHand,
  fridayAndIncident,
  secretOverwritten,
  crashLoop,
  poolExhaustion,
};
// REPLAY_ONLY=<function name>[,<name>…] runs only those (while working on one).
const chosen = process.env.REPLAY_ONLY
  ? process.env.REPLAY_ONLY.split(',').map((n) => {
      if (!REPLAYS[n])
        throw new Error(`REPLAY_ONLY: no replay ${n}; known: ${Object.keys(REPLAYS).join(', ')}`);
      return REPLAYS[n];
    })
  : Object.values(REPLAYS);
for (const replay of chosen) {
  try {
    rows.push(...[await replay()].flat());
  } catch (error) {
    rows.push({ name: replay.name, outcome: `ERROR ${error.message}`, failed: 0, sent: 0, audit: [] });
  }
}
console.log(
  `\nOutage replays (${quick ? 'quick' : 'full'}), ${((Date.now() - started) / 1000).toFixed(0)} s on this machine\n`,
);
console.log(
  '| Replay | Outcome | Failed / sent | Downtime | Time to detect | Time to mitigate | Audit events |',
);
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.name} | ${r.outcome} | ${r.failed} / ${r.sent} | ${secs(r.downtime)} | ${secs(r.ttd)} | ${secs(r.ttm)} | ${r.audit.join(', ')} |`,
  );
}
for (const r of rows) if (r.extra) console.log(`  ${r.name}: ${r.extra}`);
if (rows.some((r) => r.outcome.startsWith('ERROR'))) process.exitCode = 1;
