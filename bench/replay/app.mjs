// The replays' app: plain node:http, behaviour from behavior.json in its working folder (each commit is a
// release). `failRate` answers that share of requests 500 once `failAfter` requests were served (a release
// that passes its deploy and watch, then breaks); `crashAfterMs` exits that long after starting (a crash loop).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const behavior = JSON.parse(readFileSync('behavior.json', 'utf8'));
const version = behavior.version ?? 'v?';
let served = 0;
let carry = 0;

const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://app');
  if (url.pathname === '/health') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    return res.end('ok\n');
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
