// Router overhead: throughput and p99 through the prodguard router against the same app directly, and
// against nginx as a reference reverse proxy when it is installed. Everything is measured in this run,
// on loopback, with the same bounded load generator (undici, fixed concurrency, fixed duration).
//
//   npm run build && node bench/router.mjs [--seconds 7] [--concurrency 50] [--quick]
//   --seconds: rounds of interleaved 1 s slices, every target once per round.
//   --quick: 1 slice per target at concurrency 10 (CI runs it so the bench keeps working; not a measurement).
import './shared/bench-sandbox.mjs';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Pool } from 'undici';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin/prodguard.js');
const TINY = join(ROOT, 'test/fixtures/apps/tiny');

export function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Closed-loop load: `concurrency` workers each send one request at a time over keep-alive connections
 * until `seconds` have passed or `maxRequests` were sent. Returns counts and latency percentiles.
 */
export async function runLoad({ url, seconds = 5, concurrency = 50, maxRequests = Infinity, path = '/' }) {
  const pool = new Pool(url, { connections: concurrency, pipelining: 1, keepAliveTimeout: 30_000 });
  const latencies = [];
  // Each worker's first request opens its connection; the others reuse one.
  const warm = [];
  const failures = [];
  let ok = 0;
  let sent = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const worker = async () => {
    let first = true;
    while (performance.now() < deadline && sent < maxRequests) {
      sent++;
      const t0 = performance.now();
      try {
        const res = await pool.request({ method: 'GET', path });
        await res.body.dump();
        const ms = performance.now() - t0;
        latencies.push(ms);
        if (!first) warm.push(ms);
        first = false;
        if (res.statusCode >= 200 && res.statusCode < 300) ok++;
        else failures.push(`HTTP ${res.statusCode}`);
      } catch (error) {
        failures.push(error.code ?? error.message);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  warm.sort((a, b) => a - b);
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return {
    warmP99: warm[Math.min(warm.length - 1, Math.floor(0.99 * warm.length))] ?? 0,
    warm,
    requests: sent,
    ok,
    failed: failures.length,
    failures,
    seconds: elapsed,
    rps: sent / elapsed,
    p50: q(0.5),
    p99: q(0.99),
    latencies,
  };
}

/** Sums interleaved slices of one target into one result (the machine's load changes; slices share it fairly). */
function merge(slices) {
  const latencies = slices.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const warm = slices.flatMap((r) => r.warm).sort((a, b) => a - b);
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  const requests = slices.reduce((n, r) => n + r.requests, 0);
  const seconds = slices.reduce((n, r) => n + r.seconds, 0);
  return {
    requests,
    failed: slices.reduce((n, r) => n + r.failed, 0),
    seconds,
    rps: requests / seconds,
    p50: q(0.5),
    p99: q(0.99),
    warmP99: warm[Math.min(warm.length - 1, Math.floor(0.99 * warm.length))] ?? 0,
  };
}

/**
 * `connections` new connections opened at once, one request each: milliseconds from each connection's start to
 * its response's first bytes, sorted. What a proxy adds here is its cost of taking connections on.
 */
export function connectionBurst({ port, path, connections }) {
  return new Promise((resolve, reject) => {
    const latencies = [];
    for (let i = 0; i < connections; i++) {
      const started = performance.now();
      const socket = connect(port, '127.0.0.1');
      socket.on('connect', () => socket.write(`GET ${path} HTTP/1.1\r\nhost: bench\r\n\r\n`));
      socket.once('data', (data) => {
        socket.destroy();
        if (!data.toString('latin1', 0, 12).startsWith('HTTP/1.1 2')) {
          reject(new Error(`${port}${path}: not a 2xx`));
          return;
        }
        latencies.push(performance.now() - started);
        if (latencies.length === connections) resolve(latencies.sort((a, b) => a - b));
      });
      socket.on('error', reject);
    }
  });
}

export function run(args, cwd) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  if (result.status !== 0)
    throw new Error(`prodguard ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** A temp git repo holding the tiny test app, with the agent on free ports. */
export async function createBenchRepo() {
  const dir = mkdtempSync(join(tmpdir(), 'prodguard-bench-'));
  for (const f of ['server.mjs', 'package.json']) cpSync(join(TINY, f), join(dir, f));
  writeFileSync(join(dir, 'behavior.json'), '{ "version": "a" }\n');
  writeFileSync(join(dir, '.gitignore'), '.prodguard/\n');
  const agentPort = await freePort();
  const routerPort = await freePort();
  writeFileSync(
    join(dir, 'prodguard.yaml'),
    `version: 1
project:
  name: bench
app:
  start: node server.mjs
  healthPath: /health
  drainTimeout: 10s
  agentPort: ${agentPort}
environments:
  staging:
    platform:
      port: ${routerPort}
`,
  );
  const git = (...a) => spawnSync('git', a, { cwd: dir, encoding: 'utf8' });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('-c', 'user.email=bench@example.com', '-c', 'user.name=bench', 'commit', '-qm', 'a');
  const commit = (behavior) => {
    writeFileSync(join(dir, 'behavior.json'), `${JSON.stringify(behavior)}\n`);
    git(
      '-c',
      'user.email=bench@example.com',
      '-c',
      'user.name=bench',
      'commit',
      '-qam',
      JSON.stringify(behavior),
    );
    return git('rev-parse', 'HEAD').stdout.trim();
  };
  return { dir, agentPort, routerPort, commit, head: () => git('rev-parse', 'HEAD').stdout.trim() };
}

/** Starts the agent (real CLI, detached) and returns a connected LocalPlatform from dist/. */
export async function startPlatform(repo) {
  run(['up', '--detach'], repo.dir);
  const { loadConfig } = await import(pathToFileURL(join(ROOT, 'dist/config/index.js')).href);
  const { buildRelease, connectLocalPlatform } = await import(
    pathToFileURL(join(ROOT, 'dist/platform/index.js')).href
  );
  const { nodeProcessRunner, systemClock } = await import(
    pathToFileURL(join(ROOT, 'dist/kernel/index.js')).href
  );
  const config = loadConfig({ cwd: repo.dir });
  const platform = connectLocalPlatform(config);
  const deploy = async (commit) => {
    const built = await buildRelease({
      commit,
      repoDir: repo.dir,
      artifactsDir: join(config.stateDirPath, 'artifacts'),
      processes: nodeProcessRunner,
      clock: systemClock,
    });
    const rev = await platform.createRevision({
      service: 'staging',
      release: { commit: built.commit, digest: built.digest },
      env: {},
    });
    return platform.waitReady('staging', rev.name, 20_000);
  };
  const stop = async () => {
    await platform.close();
    run(['down'], repo.dir);
    rmSync(repo.dir, { recursive: true, force: true });
  };
  return { platform, deploy, stop };
}

function startDirectApp(port) {
  const child = spawn(process.execPath, ['server.mjs'], {
    cwd: TINY,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: 'ignore',
  });
  return child;
}

async function waitFor(url) {
  for (let i = 0; i < 100; i++) {
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`${url} never answered`);
}

function startNginx(listenPort, upstreamPort) {
  const which = spawnSync('sh', ['-c', 'command -v nginx || ls /usr/sbin/nginx'], { encoding: 'utf8' });
  const bin = which.stdout.trim().split('\n')[0];
  if (which.status !== 0 || !bin) return undefined;
  const prefix = mkdtempSync(join(tmpdir(), 'prodguard-nginx-'));
  writeFileSync(
    join(prefix, 'nginx.conf'),
    `worker_processes 1;
error_log ${prefix}/error.log warn;
pid ${prefix}/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  upstream app { server 127.0.0.1:${upstreamPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${listenPort};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`,
  );
  const child = spawn(bin, ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-g', 'daemon off;'], {
    stdio: 'ignore',
  });
  return { child, prefix };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function fmt(n, digits = 0) {
  return n.toFixed(digits).padStart(8);
}

/**
 * Where the pooled p99 above comes from: each slice opens its connections at once, and their first requests
 * are the slowest 1–2 %. Bursts of new connections, interleaved per target, with the 10 ms endpoint.
 * `relays` are minimal node relays (bench/shared/bare-relay.mjs): what a proxy in node pays for the same work.
 */
async function reportConnectionBursts(targets, relays, connections, rounds) {
  const path = '/slow?ms=10';
  const all = [...targets, ...relays];
  console.log(
    `\nGET ${path} on ${connections} new connections opened at once (one request each), ${rounds} interleaved bursts per target`,
  );
  const bursts = all.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (const [i, [, url]] of all.entries()) {
      bursts[i].push(await connectionBurst({ port: Number(new URL(url).port), path, connections }));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const at = (i, q) => median(bursts[i].map((l) => l[Math.floor(q * (l.length - 1))]));
  console.log(
    `${'target'.padEnd(36)}${'p50 ms'.padStart(8)}${'p90 ms'.padStart(8)}${'last ms'.padStart(8)}  (medians over bursts)`,
  );
  for (const [i, [name]] of all.entries())
    console.log(`${name.padEnd(36)}${fmt(at(i, 0.5), 2)}${fmt(at(i, 0.9), 2)}${fmt(at(i, 1), 2)}`);
  const added = (i) => (at(i, 0.5) - at(0, 0.5)).toFixed(2);
  let line = `→ a burst's median first response: the router adds ${added(1)} ms over direct`;
  if (targets[2]) line += `, nginx ${added(2)} ms`;
  console.log(line);
  if (relays.length > 0) {
    const first = targets.length;
    console.log(
      `→ a minimal node relay (no parsing, metrics or routing) adds ${added(first)} ms (one process), ${added(first + 1)} ms (two processes sharing the socket)`,
    );
  }
}

/** Minimal node relays in front of the app, one process and two: what a proxy in node pays on the bursts. */
async function startBareRelays(appPort) {
  const relays = [];
  for (const processes of [1, 2]) {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [join(ROOT, 'bench/shared/bare-relay.mjs'), String(port), String(appPort), String(processes)],
      { stdio: 'ignore' },
    );
    relays.push({ child, name: `bare node relay, ${processes} process${processes > 1 ? 'es' : ''}`, port });
  }
  for (const relay of relays) await waitFor(`http://127.0.0.1:${relay.port}/slow?ms=0`);
  return relays;
}

async function main() {
  const quick = process.argv.includes('--quick');
  const seconds = arg('seconds', quick ? 1 : 7);
  const concurrency = arg('concurrency', quick ? 10 : 50);
  const repo = await createBenchRepo();
  const { platform, deploy, stop } = await startPlatform(repo);
  const directPort = await freePort();
  const app = startDirectApp(directPort);
  let nginx;
  let relays = [];
  try {
    const rev = await deploy(repo.head());
    await platform.setTraffic('staging', [{ revision: rev.name, percent: 100 }]);
    await waitFor(`http://127.0.0.1:${directPort}/health`);
    const targets = [
      ['direct to the app (baseline)', `http://127.0.0.1:${directPort}`],
      ['prodguard router', `http://127.0.0.1:${repo.routerPort}`],
    ];
    const nginxPort = await freePort();
    nginx = startNginx(nginxPort, directPort);
    if (nginx) {
      await waitFor(`http://127.0.0.1:${nginxPort}/health`);
      targets.push(['nginx (reference proxy)', `http://127.0.0.1:${nginxPort}`]);
      // The router is one process (the agent): nginx runs one worker, so both proxies get one core's worth.
      console.log('nginx runs worker_processes 1, like the router (one agent process).');
    } else {
      console.log('nginx is not installed (apt-get install nginx-light): skipping the reference proxy.');
    }
    const scenarios = [
      ['GET / (answers at once: pure proxy overhead)', '/'],
      ['GET /slow?ms=10 (an app that waits 10 ms on I/O, like a DB call)', '/slow?ms=10'],
    ];
    for (const [title, path] of scenarios) {
      console.log(
        `\n${title}: loopback, ${concurrency} concurrent keep-alive connections, ${seconds} interleaved 1 s slices per target`,
      );
      const slices = targets.map(() => []);
      for (const [, url] of targets) await runLoad({ url, seconds: quick ? 0.2 : 0.5, concurrency, path }); // warm-up
      // Interleaved one-second slices: a neighbour's load spike hits every target alike.
      for (let round = 0; round < seconds; round++) {
        for (const [i, [, url]] of targets.entries())
          slices[i].push(await runLoad({ url, seconds: 1, concurrency, path }));
      }
      const results = targets.map(([name], i) => [name, merge(slices[i])]);
      const base = results[0][1];
      console.log(
        `${'target'.padEnd(30)}${'req/s'.padStart(8)}${'p50 ms'.padStart(8)}${'p99 ms'.padStart(8)}${'failed'.padStart(8)}  throughput vs direct · p99 vs direct (all slices pooled)`,
      );
      for (const [name, r] of results) {
        console.log(
          `${name.padEnd(30)}${fmt(r.rps)}${fmt(r.p50, 2)}${fmt(r.p99, 2)}${fmt(r.failed)}  ${((r.rps / base.rps) * 100).toFixed(1)} % · ${(r.p99 / base.p99).toFixed(2)}×`,
        );
      }
      const router = results[1][1];
      let line = `→ router throughput = ${((router.rps / base.rps) * 100).toFixed(1)} % of direct (goal ≥ 80 %)`;
      if (results[2]) {
        const ng = results[2][1];
        line += `; nginx = ${((ng.rps / base.rps) * 100).toFixed(1)} % of direct; router = ${((router.rps / ng.rps) * 100).toFixed(1)} % of nginx (goal ≥ 75 %), p99 ${(router.p99 / ng.p99).toFixed(2)}× nginx's`;
      }
      console.log(line);
      // What the router adds to a request's tail latency, against the app alone and against nginx's hop.
      let added = `→ p99 added by the router: ${(router.p99 - base.p99).toFixed(2)} ms over direct`;
      if (results[2]) added += `, ${(router.p99 - results[2][1].p99).toFixed(2)} ms over nginx`;
      console.log(`${added}${path === '/' ? '' : ' (goal ≤ 1 ms on this endpoint)'}`);
      // Paired per round: the targets of one round ran back to back, so a neighbour's burst in one slice
      // moves one round's figures, not the medians (pooled tails above take every burst in).
      const rounds = slices[0].length;
      const paired = (f) => median(Array.from({ length: rounds }, (_, k) => f(k)));
      const p99Added = paired((k) => slices[1][k].p99 - slices[0][k].p99);
      let pairedLine = `→ paired over ${rounds} rounds (median): router p99 adds ${p99Added.toFixed(2)} ms over direct${path === '/' ? '' : ' (goal ≤ 1 ms)'}`;
      if (results[2]) {
        const share = paired((k) => slices[1][k].rps / slices[2][k].rps);
        const nginxAdds = paired((k) => slices[2][k].p99 - slices[0][k].p99);
        pairedLine += `, nginx's ${nginxAdds.toFixed(2)} ms; router throughput = ${(share * 100).toFixed(1)} % of nginx${path === '/' ? ' (goal ≥ 75 %)' : ''}`;
      }
      console.log(pairedLine);
      // Every slice opens its connections afresh: the first request on each (one per connection, 1–2 %
      // of a slice's requests here) also waits for the proxy to take the connection on, which is in the
      // pooled p99 above. Apart, what a request on a kept-alive connection pays:
      let warmLine = `→ p99 of requests on kept-alive connections (first request on each connection left out): router adds ${(router.warmP99 - base.warmP99).toFixed(2)} ms over direct`;
      if (results[2]) warmLine += `, nginx ${(results[2][1].warmP99 - base.warmP99).toFixed(2)} ms`;
      console.log(warmLine);
    }
    relays = await startBareRelays(directPort);
    const relayTargets = relays.map(({ name, port }) => [name, `http://127.0.0.1:${port}`]);
    await reportConnectionBursts(targets, relayTargets, concurrency, quick ? 5 : 40);
  } finally {
    for (const relay of relays) relay.child.kill('SIGTERM');
    app.kill('SIGTERM');
    if (nginx) {
      nginx.child.kill('SIGQUIT');
      rmSync(nginx.prefix, { recursive: true, force: true });
    }
    await stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
