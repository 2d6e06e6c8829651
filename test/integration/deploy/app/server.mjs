// The deploy tests' app: plain node:http, behaviour from behavior.json in its working folder (so each
// commit is its own release). `failRate` makes a share of non-health requests answer 500, only in the
// environment named by `failIn` when set: a release that passes staging and fails under production traffic.
// The smoke test reads /version, which never fails: this release passes its smoke test everywhere.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const behavior = JSON.parse(readFileSync('behavior.json', 'utf8'));
const version = behavior.version ?? 'v?';
const failing = !behavior.failIn || behavior.failIn === process.env.APP_ENV;
const failRate = failing ? (behavior.failRate ?? 0) : 0;
let served = 0;
let carry = 0;

const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://app');
  if (url.pathname === '/health') {
    res.writeHead(behavior.neverHealthy ? 503 : 200, { 'content-type': 'text/plain' });
    return res.end(behavior.neverHealthy ? 'starting forever\n' : 'ok\n');
  }
  if (url.pathname === '/version') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    return res.end(`${version}\n`);
  }
  served++;
  carry += failRate;
  if (carry >= 1) {
    carry -= 1;
    res.writeHead(500, { 'content-type': 'text/plain' });
    return res.end(`${version} failed\n`);
  }
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(`${version}\n`);
});

process.on('SIGTERM', () => process.exit(0));
server.listen(Number(process.env.PORT), '127.0.0.1', () => {
  console.log(
    `deploy-app ${version} (${process.env.APP_ENV}) listening on ${process.env.PORT}; served ${served}`,
  );
});
