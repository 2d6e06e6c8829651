// Detection: a canary failing 50 % of its production requests is detected and traffic switched back.
// Measured twice in this run on the real local agent, under the same steady load: with 1 s samples (the
// goal: ≤ 5 s) and with prodguard's default 5 s samples as the baseline. Flagger's default analysis
// (1 min interval) is printed as a computed reference, not measured.
//
//   npm run build && node bench/deploy-detection.mjs [--concurrency 8] [--quick]
//   --quick: 2 s samples as the baseline, 0.5 s as the fast run, 2 in a row, 4 clients (CI runs it so the
//   bench keeps working; not a measurement).
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const APP = join(ROOT, 'test/integration/deploy/app');
const { parseConfigText } = await import(join(ROOT, 'dist/config/index.js'));
const { deployConfigSchema } = await import(join(ROOT, 'dist/config/sections/deploy.js'));
const deploy = await import(join(ROOT, 'dist/deploy/index.js'));
const { buildRelease, LocalPlatform, runAgent } = await import(join(ROOT, 'dist/platform/index.js'));
const { StateStore } = await import(join(ROOT, 'dist/store/index.js'));
const { systemClock } = await import(join(ROOT, 'dist/kernel/clock.js'));
const { silentLogger } = await import(join(ROOT, 'dist/kernel/logger.js'));
const { nodeProcessRunner } = await import(join(ROOT, 'dist/kernel/process-runner.js'));

const quickMode = process.argv.includes('--quick');
const concurrency = (() => {
  const i = process.argv.indexOf('--concurrency');
  return i >= 0 ? Number(process.argv[i + 1]) : quickMode ? 4 : 8;
})();

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function git(dir, ...args) {
  const r = spawnSync('git', args, {
    cwd: dir,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'b',
      GIT_AUTHOR_EMAIL: 'b@x',
      GIT_COMMITTER_NAME: 'b',
      GIT_COMMITTER_EMAIL: 'b@x',
    },
  });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/** Bounded closed-loop load on a router: `concurrency` workers, one request at a time each. */
function startLoad(url, maxMs) {
  const counts = { sent: 0, failed: 0, startedAt: performance.now(), seconds: 0 };
  let stopped = false;
  const deadline = Date.now() + maxMs;
  const worker = async () => {
    while (!stopped && Date.now() < deadline && counts.sent < 200_000) {
      counts.sent++;
      try {
        const r = await fetch(`${url}/`);
        await r.arrayBuffer();
        if (r.status < 200 || r.status >= 300) counts.failed++;
      } catch {
        counts.failed++;
      }
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  return async () => {
    stopped = true;
    await Promise.all(workers);
    counts.seconds = (performance.now() - counts.startedAt) / 1000;
    return counts;
  };
}

async function scenario(label, analysis) {
  const dir = mkdtempSync(join(tmpdir(), 'prodguard-bench-detect-'));
  for (const f of ['server.mjs', 'smoke.mjs']) cpSync(join(APP, f), join(dir, f));
  writeFileSync(join(dir, 'package.json'), '{ "name": "bench-app", "private": true, "type": "module" }\n');
  writeFileSync(join(dir, '.gitignore'), '.prodguard/\n');
  writeFileSync(join(dir, 'behavior.json'), '{ "version": "v1" }\n');
  const text = `version: 1
project:
  name: bench-app
watch: 1s
freeze:
  weekdays: []
app:
  start: node server.mjs
  healthPath: /health
  startupTimeout: 10s
  drainTimeout: 2s
  stopGrace: 1s
  agentPort: ${await freePort()}
  env:
    APP_ENV: "{environment}"
environments:
  staging:
    protected: true
  production:
    requires: staging
`;
  writeFileSync(join(dir, 'prodguard.yaml'), text);
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'v1');
  const parsed = parseConfigText(text, join(dir, 'prodguard.yaml'));
  const agent = await runAgent({
    config: parsed,
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
  const state = StateStore.open(join(dir, '.prodguard/state.db'));
  const events = new deploy.DeployEvents();
  const quick = {
    interval: '500ms',
    window: '3s',
    consecutiveBreaches: 2,
    minRequests: 10,
    holdTimeout: '10s',
    probePaths: ['/', '/health'],
  };
  const deps = {
    platform,
    store: new deploy.DeployStore(state, systemClock),
    clock: systemClock,
    processes: nodeProcessRunner,
    probe: deploy.createHttpProbeClient(),
    events,
    actor: 'bench',
    env: process.env,
    builder: {
      build: (commit) =>
        buildRelease({
          commit,
          repoDir: dir,
          artifactsDir: join(dir, '.prodguard/artifacts'),
          processes: nodeProcessRunner,
          clock: systemClock,
        }),
    },
  };
  const setup = { ...parsed, deploy: deployConfigSchema.parse({ strategy: 'all-at-once', analysis: quick }) };
  try {
    for (const env of ['staging', 'production']) {
      const r = await deploy.runDeploy(setup, { environment: env }, deps);
      if (r.outcome !== 'success') throw new Error(`setup deploy to ${env}: ${r.message}`);
    }
    writeFileSync(
      join(dir, 'behavior.json'),
      '{ "version": "v2", "failRate": 0.5, "failIn": "production" }\n',
    );
    git(dir, 'commit', '-q', '-am', 'v2');
    if ((await deploy.runDeploy(setup, { environment: 'staging' }, deps)).outcome !== 'success')
      throw new Error('staging v2');

    let switchedAt;
    let rolledBackAt;
    events.on('traffic:switched', (e) => {
      if (e.reason.startsWith('canary') && switchedAt === undefined) switchedAt = performance.now();
    });
    events.on('deploy:rolled-back', () => {
      rolledBackAt = performance.now();
    });
    const url = (await platform.getService('production')).url;
    const stop = startLoad(url, 120_000);
    await new Promise((r) => setTimeout(r, 1000));
    const measured = {
      ...parsed,
      deploy: deployConfigSchema.parse({
        strategy: 'canary',
        steps: [10, 100],
        stepDuration: '60s',
        analysis,
      }),
    };
    const result = await deploy.runDeploy(measured, { environment: 'production' }, deps);
    await new Promise((r) => setTimeout(r, 500));
    const counts = await stop();
    if (result.outcome !== 'rolled-back')
      throw new Error(`expected a rollback, got ${result.outcome}: ${result.message}`);
    const detectMs = rolledBackAt - switchedAt;
    return { label, detectMs, counts, breach: result.breaches[0] };
  } finally {
    await platform.close();
    await agent.stop();
    state.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const base = {
  window: quickMode ? '2s' : '5s',
  consecutiveBreaches: quickMode ? 2 : 3,
  minRequests: quickMode ? 10 : 20,
  holdTimeout: quickMode ? '10s' : '30s',
  probePaths: ['/', '/health'],
};
// Baseline first, so any warm-up cost falls on it rather than on the figure the goal is about.
const baseline = quickMode
  ? await scenario('baseline: 2 s samples, 2 in a row', { ...base, interval: '2s' })
  : await scenario('baseline: 5 s samples (default), 3 in a row', { ...base, interval: '5s' });
const fast = quickMode
  ? await scenario('0.5 s samples, 2 in a row', { ...base, interval: '500ms' })
  : await scenario('1 s samples, 3 in a row', { ...base, interval: '1s' });
const flagger = deploy.planDetectionTimes(
  { intervalMs: 60_000, consecutiveBreaches: 1, holdTimeoutMs: 0 },
  0,
);

const row = (r) =>
  `${r.label.padEnd(44)} detect+switch ${(r.detectMs / 1000).toFixed(2).padStart(6)} s   failed ${String(r.counts.failed).padStart(5)} of ${String(r.counts.sent).padStart(6)} requests (${Math.round(r.counts.sent / r.counts.seconds)} req/s)   breach ${r.breach.metric} ${(r.breach.value * 100).toFixed(1)} %`;
console.log(
  `canary 10 %, release failing 50 % of its production requests, ${concurrency} concurrent clients`,
);
console.log(row(fast));
console.log(row(baseline));
console.log(
  `reference (computed, not measured): Flagger default interval 1m → ≥ ${flagger.timeToDetectMs / 1000} s`,
);
console.log(
  `ratio fast/baseline: time ${(fast.detectMs / baseline.detectMs).toFixed(2)}, failed requests ${(fast.counts.failed / Math.max(1, baseline.counts.failed)).toFixed(2)}; goal ≤ 5 s: ${fast.detectMs <= 5000 ? 'met' : 'missed'}`,
);
