import './shared/bench-sandbox.mjs';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../dist/kernel/free-port.js';
import { git } from './shared/git.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { parseConfigText } = await import(join(ROOT, 'dist/config/index.js'));
const { deployConfigSchema } = await import(join(ROOT, 'dist/config/sections/deploy.js'));
const deploy = await import(join(ROOT, 'dist/deploy/index.js'));
const { buildRelease, LocalPlatform, runAgent } = await import(join(ROOT, 'dist/platform/index.js'));
const { StateStore } = await import(join(ROOT, 'dist/store/index.js'));
const { AuditLog } = await import(join(ROOT, 'dist/audit/index.js'));
const { OperationStore } = await import(join(ROOT, 'dist/operations/index.js'));
const { systemClock } = await import(join(ROOT, 'dist/kernel/clock.js'));
const { silentLogger } = await import(join(ROOT, 'dist/kernel/logger.js'));
const { nodeProcessRunner } = await import(join(ROOT, 'dist/kernel/process-runner.js'));

const quick = process.argv.includes('--quick');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const runs = arg('runs', quick ? 1 : 3);
const canaries = arg('canaries', quick ? 2 : 20);
const parallel = arg('parallel', quick ? 2 : 4);
const clients = arg('concurrency', 4);
const stepDuration = quick ? '3s' : '10s';
const NOISE = 0.01;

/**
 * Bounded load on a router: `concurrency` closed-loop workers, or with `rps` one request every 1/rps s.
 * Counts only; the verdicts come from the agent's metrics.
 */
function startLoad(url, { concurrency = clients, rps, maxMs = 600_000 } = {}) {
  const counts = { sent: 0, failed: 0 };
  let stopped = false;
  const deadline = Date.now() + maxMs;
  const once = async () => {
    counts.sent++;
    try {
      const r = await fetch(`${url}/`);
      await r.arrayBuffer();
      if (r.status < 200 || r.status >= 300) counts.failed++;
    } catch {
      counts.failed++;
    }
  };
  const workers = [];
  if (rps) {
    const timer = setInterval(() => {
      if (Date.now() > deadline) clearInterval(timer);
      else workers.push(once());
    }, 1000 / rps);
    workers.push(
      new Promise((resolve) => {
        counts.stop = () => {
          clearInterval(timer);
          resolve();
        };
      }),
    );
  } else {
    for (let i = 0; i < concurrency; i++)
      workers.push(
        (async () => {
          while (!stopped && Date.now() < deadline && counts.sent < 2_000_000) await once();
        })(),
      );
  }
  return async () => {
    stopped = true;
    counts.stop?.();
    await Promise.all(workers);
    return counts;
  };
}

/** One project, one agent, `envCount` independent environments (e1…eN) on the noisy app. */
async function openProject(envCount) {
  const dir = mkdtempSync(join(tmpdir(), 'prodguard-bench-detect-'));
  cpSync(join(ROOT, 'bench/apps/noisy-app.mjs'), join(dir, 'server.mjs'));
  writeFileSync(join(dir, 'package.json'), '{ "name": "bench-app", "private": true, "type": "module" }\n');
  writeFileSync(join(dir, '.gitignore'), '.prodguard/\n');
  writeFileSync(join(dir, 'behavior.json'), `${JSON.stringify({ version: 'v0', noiseErrorRate: NOISE })}\n`);
  const envs = Array.from({ length: envCount }, (_, i) => `e${i + 1}`);
  const text = `version: 1
project:
  name: bench-app
watch: ${quick ? '1s' : '5s'}
freeze:
  weekdays: []
app:
  start: node server.mjs
  healthPath: /health
  startupTimeout: 10s
  drainTimeout: 2s
  stopGrace: 1s
  agentPort: ${await freePort()}
environments:
${envs.map((e) => `  ${e}: {}`).join('\n')}
`;
  writeFileSync(join(dir, 'prodguard.yaml'), text);
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'v0');
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
  const state = StateStore.open(join(parsed.stateDirPath, 'state.db'));
  const builds = new Map();
  // Builds one at a time (releases of one repo share its git), deploys in parallel.
  let queue = Promise.resolve();
  const build = (commit) => {
    if (!builds.has(commit)) {
      const p = queue.then(() =>
        buildRelease({
          commit,
          repoDir: dir,
          artifactsDir: join(parsed.stateDirPath, 'artifacts'),
          processes: nodeProcessRunner,
          clock: systemClock,
        }),
      );
      queue = p.catch(() => undefined);
      builds.set(commit, p);
    }
    return builds.get(commit);
  };
  const events = new deploy.DeployEvents();
  const deps = {
    platform,
    ops: new OperationStore(state, systemClock, new AuditLog(state, systemClock)),
    log: silentLogger,
    store: new deploy.DeployStore(state, systemClock),
    clock: systemClock,
    processes: nodeProcessRunner,
    probe: deploy.createHttpProbeClient(),
    events,
    actor: 'bench',
    env: process.env,
    builder: { build, peek: (commit) => build(commit) },
  };
  // The analysis block is left out on purpose: every analysis setting is the default.
  const config = {
    ...parsed,
    deploy: deployConfigSchema.parse({ strategy: 'canary', steps: [10, 50, 100], stepDuration }),
  };
  let n = 0;
  const commit = (behavior) => {
    writeFileSync(join(dir, 'behavior.json'), `${JSON.stringify({ version: `v${++n}`, ...behavior })}\n`);
    git(dir, 'commit', '-q', '-am', `v${n}`);
    return git(dir, 'rev-parse', 'HEAD');
  };
  const first = git(dir, 'rev-parse', 'HEAD');
  for (const env of envs) {
    const r = await deploy.runDeploy(config, { environment: env, commit: first }, deps);
    if (r.outcome !== 'success') throw new Error(`first deploy to ${env}: ${r.message}`);
  }
  const urls = Object.fromEntries(
    await Promise.all(envs.map(async (e) => [e, (await platform.getService(e)).url])),
  );
  const close = async () => {
    await platform.close();
    await agent.stop();
    state.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { envs, urls, deps, events, config, commit, close };
}

const settings = deployConfigSchema.parse({});
const planned = deploy.planDetectionTimes(
  {
    intervalMs: settings.analysis.interval,
    consecutiveBreaches: settings.analysis.consecutiveBreaches,
    holdTimeoutMs: settings.analysis.holdTimeout,
  },
  settings.switchTimeout,
);
const previous = deploy.planDetectionTimes(
  { intervalMs: 5000, consecutiveBreaches: 3, holdTimeoutMs: 30_000 },
  0,
);

// 1. Detection with the defaults.
const detections = [];
{
  const p = await openProject(1);
  try {
    const env = p.envs[0];
    for (let run = 0; run < runs; run++) {
      const sha = p.commit({ failRate: 0.5, noiseErrorRate: NOISE });
      let switchedAt;
      let rolledBackAt;
      const onSwitch = (e) => {
        if (e.reason.startsWith('canary') && switchedAt === undefined) switchedAt = performance.now();
      };
      const onRollback = () => {
        rolledBackAt = performance.now();
      };
      const offSwitch = p.events.on('traffic:switched', onSwitch);
      const offRollback = p.events.on('deploy:rolled-back', onRollback);
      const stop = startLoad(p.urls[env]);
      await new Promise((r) => setTimeout(r, 1000));
      const result = await deploy.runDeploy(p.config, { environment: env, commit: sha }, p.deps);
      const counts = await stop();
      offSwitch();
      offRollback();
      if (result.outcome !== 'rolled-back')
        throw new Error(`expected a rollback, got ${result.outcome}: ${result.message}`);
      detections.push({ ms: rolledBackAt - switchedAt, counts, breach: result.breaches[0] });
    }
  } finally {
    await p.close();
  }
}

// 2. False alarms: healthy canaries under load, `parallel` environments at a time, then one at low traffic.
const healthy = { deployed: 0, rolledBack: 0, samples: 0, requests: 0, failures: [] };
{
  const p = await openProject(parallel);
  const onSample = () => healthy.samples++;
  p.events.on('analysis:sample', onSample);
  try {
    const loads = p.envs.map((e) => startLoad(p.urls[e]));
    let left = canaries;
    while (left > 0) {
      const batch = p.envs.slice(0, Math.min(left, p.envs.length));
      left -= batch.length;
      const results = await Promise.all(
        batch.map((env) =>
          deploy.runDeploy(
            p.config,
            { environment: env, commit: p.commit({ noiseErrorRate: NOISE }) },
            p.deps,
          ),
        ),
      );
      for (const r of results) {
        healthy.deployed++;
        if (r.outcome !== 'success') {
          healthy.rolledBack++;
          healthy.failures.push(`${r.environment}: ${r.outcome}: ${r.message}`);
        }
      }
    }
    for (const stop of loads) healthy.requests += (await stop()).sent;
    // One canary at low traffic: 2 requests per second, so the canary's share is far below minRequests.
    const env = p.envs[0];
    const stop = startLoad(p.urls[env], { rps: 2 });
    const low = await deploy.runDeploy(
      p.config,
      { environment: env, commit: p.commit({ noiseErrorRate: NOISE }) },
      p.deps,
    );
    healthy.lowTraffic = { outcome: low.outcome, message: low.message, sent: (await stop()).sent };
  } finally {
    await p.close();
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const secs = (ms) => `${(ms / 1000).toFixed(2)} s`;
const times = detections.map((d) => d.ms);
const det = median(times);
console.log(
  `defaults: ${settings.analysis.interval / 1000} s samples over a ${settings.analysis.window / 1000} s sliding window, error-rate Wilson bound at ${settings.analysis.confidence} (decisive at ${settings.analysis.decisiveConfidence}), ${settings.analysis.consecutiveBreaches} in a row otherwise, ≥ ${settings.analysis.minRequests} requests; thresholds 5 % errors, p95 2 s`,
);
console.log(
  `printed worst case with the defaults: clear failure detect ${secs(planned.decisiveTimeToDetectMs)} → rolled back ${secs(planned.decisiveTimeToRollbackMs)}; just past a threshold ${secs(planned.timeToDetectMs)} → ${secs(planned.timeToRollbackMs)} (incl. the ${settings.switchTimeout / 1000} s switch budget)`,
);
for (const [i, d] of detections.entries())
  console.log(
    `  run ${i + 1}: canary 10 %, 50 % failing + 1 % noise, ${clients} clients: detect+switch ${secs(d.ms)}, ${d.counts.failed} failed of ${d.counts.sent} requests, breach ${d.breach.metric} ${(d.breach.value * 100).toFixed(1)} %`,
  );
console.log(
  `previous defaults (computed, not measured): 5 s samples × 3 → ${secs(previous.timeToDetectMs)} (the issue measured 15 s)`,
);
console.log(
  `healthy canaries: ${healthy.deployed} under load (1 % random errors, latency noise, ${clients} clients each, ${parallel} at a time), ${healthy.requests} requests, ${healthy.samples} analysis samples judged; low traffic (2 req/s): ${healthy.lowTraffic.outcome}`,
);
for (const f of healthy.failures) console.log(`  false alarm: ${f}`);
if (healthy.lowTraffic.outcome !== 'success') console.log(`  low traffic: ${healthy.lowTraffic.message}`);
const falseRollbacks = healthy.rolledBack + (healthy.lowTraffic.outcome === 'success' ? 0 : 1);
console.log(
  `detection with defaults: median ${secs(det)} of ${times.length} (max ${secs(Math.max(...times))}), goal ≤ 5 s: ${Math.max(...times) <= 5000 ? 'met' : 'missed'}; ratio to previous defaults ${(det / previous.timeToDetectMs).toFixed(2)}`,
);
console.log(
  `false rollbacks: ${falseRollbacks} of ${healthy.deployed + 1} healthy canaries, goal 0: ${falseRollbacks === 0 ? 'met' : 'missed'}`,
);
