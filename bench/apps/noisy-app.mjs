// The detection bench's app: plain node:http, behaviour from behavior.json in its working folder (each
// commit is its own release). Realistic noise on every request: random (Bernoulli) background errors at
// `noiseErrorRate` and a skewed latency (most requests a few ms, a tail to ~150 ms). `failRate` adds a
// failing share on top: the bad release. /health never fails.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const behavior = JSON.parse(readFileSync('behavior.json', 'utf8'));
const noise = behavior.noiseErrorRate ?? 0;
const failRate = behavior.failRate ?? 0;

function latencyMs() {
  // 90 % 1–8 ms, 9 % 10–60 ms, 1 % 60–150 ms.
  const r = Math.random();
  if (r < 0.9) return 1 + Math.random() * 7;
  if (r < 0.99) return 10 + Math.random() * 50;
  return 60 + Math.random() * 90;
}

const server = createServer((req, res) => {
  if (req.url === '/health') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    return res.end('ok\n');
  }
  setTimeout(() => {
    const failed = Math.random() < failRate || Math.random() < noise;
    res.writeHead(failed ? 500 : 200, { 'content-type': 'text/plain' });
    res.end(failed ? 'failed\n' : `${behavior.version}\n`);
  }, latencyMs());
});

process.on('SIGTERM', () => process.exit(0));
server.listen(Number(process.env.PORT), '127.0.0.1');
