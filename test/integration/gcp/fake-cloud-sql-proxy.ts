import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A stand-in `cloud-sql-proxy` v2 executable written to `dir` at test time: a small node script with the
 * proxy's command line (`<connection> --port N --address A [--private-ip]`). It records its argv and
 * environment to `<recordDir>/<pid>.json`, and `<pid>.stopped` when SIGTERM stops it. FAKE_PROXY_MODE:
 * - `forward` (default): listens on A:N and forwards every connection to FAKE_PROXY_TARGET (host:port);
 * - `exit`: prints FAKE_PROXY_STDERR on stderr and exits 1 at once;
 * - `silent`: runs but never listens.
 */
export function writeFakeCloudSqlProxy(dir: string, recordDir: string): string {
  mkdirSync(dir, { recursive: true });
  mkdirSync(recordDir, { recursive: true });
  const bin = join(dir, 'cloud-sql-proxy');
  writeFileSync(
    bin,
    `#!${process.execPath}
'use strict';
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const record = ${JSON.stringify(recordDir)};
const args = process.argv.slice(2);
// The handler first: a run the test can see is one that records its stop.
process.on('SIGTERM', () => {
  fs.writeFileSync(path.join(record, process.pid + '.stopped'), 'SIGTERM');
  process.exit(0);
});
// Written whole, then renamed: the test never reads half a record.
const file = path.join(record, process.pid + '.json');
fs.writeFileSync(file + '.tmp', JSON.stringify({ pid: process.pid, args, env: process.env }));
fs.renameSync(file + '.tmp', file);
const mode = process.env.FAKE_PROXY_MODE || 'forward';
if (mode === 'exit') {
  process.stderr.write(process.env.FAKE_PROXY_STDERR || 'failed');
  process.exit(1);
}
if (mode === 'silent') {
  setInterval(() => {}, 1000);
} else {
  const port = Number(args[args.indexOf('--port') + 1]);
  const address = args[args.indexOf('--address') + 1];
  const [host, targetPort] = String(process.env.FAKE_PROXY_TARGET).split(':');
  net
    .createServer((client) => {
      const upstream = net.connect(Number(targetPort), host);
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    })
    .listen(port, address);
}
`,
  );
  chmodSync(bin, 0o755);
  return bin;
}

export interface ProxyRun {
  pid: number;
  args: string[];
  env: Record<string, string>;
  stopped: boolean;
}

/** Every run of the fake proxy recorded in `recordDir`. */
export function readProxyRuns(recordDir: string): ProxyRun[] {
  if (!existsSync(recordDir)) return [];
  return readdirSync(recordDir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => {
      const run = JSON.parse(readFileSync(join(recordDir, f), 'utf8')) as Omit<ProxyRun, 'stopped'>;
      return { ...run, stopped: existsSync(join(recordDir, `${run.pid}.stopped`)) };
    });
}
