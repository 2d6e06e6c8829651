// The replays' app: plain node:http, behaviour from behavior.json in its working folder (each commit is a
// release). `failRate` answers that share of requests 500 once `failAfter` requests were served (a release
// that passes its deploy and watch, then breaks); `crashAfterMs` exits that long after starting (a crash loop).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const behavior = JSON.parse(readFileSync('behavior.json', 'utf8'));
const version = behavior.version ?? 'v?';
let served = 0;
let carry = 0;
// `pool: { max, queryMs }`: every request holds a connection for queryMs (a slow query), through the
// runtime's pool, whose gauges /metrics exposes; more concurrent users than `max` exhausts it.
const runtime = behavior.pool ? await import(process.env.PRODGUARD_RUNTIME) : undefined;
const pool = runtime?.createPool({ connectionString: process.env.DATABASE_URL, max: behavior.pool.max });

const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://app');
  if (url.pathname === '/health') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    return res.end('ok\n');
  }
  if (url.pathname === '/metrics' && pool) {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    return res.end(runtime.poolMetricsText(pool.metrics()));
  }
  if (pool) {
    pool.query('SELECT pg_sleep($1)', [behavior.pool.queryMs / 1000]).then(
      () => res.end(`${version}\n`),
      (error) => {
        res.writeHead(500);
        res.end(`${version} ${error.code ?? error.message}\n`);
      },
    );
    return;
  }
  served++;
  if (served > (behavior.failAfter ?? 0)) carry += behavior.failRate ?? 0;
  if (carry >= 1) {
    carry -= 1;
    console.error(`${version}: request ${served} failed: TypeError: cannot read properties of undefined`);
    res.writeHead(500, { 'content-type': 'text/plain' });
    return res.end(`${version} failed\n`);
  }
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(`${version}\n`);
});

if (behavior.crashAfterMs) {
  setTimeout(() => {
    console.error(`${version}: FATAL out of memory (simulated), exiting`);
    process.exit(1);
  }, behavior.crashAfterMs);
}
process.on('SIGTERM', () => process.exit(0));
server.listen(Number(process.env.PORT), '127.0.0.1', () =>
  console.log(`${version} listening on ${process.env.PORT}`),
);
