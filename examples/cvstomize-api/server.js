// cvstomize-api: entry point. Configuration comes from the environment (see README.md).
import { createServer } from 'node:http';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApp } from './src/app.js';
import { readConfig } from './src/config.js';
import { createDatabase } from './src/database.js';
import { createFaultSwitch } from './src/fault-switch.js';
import { loadRuntime } from './src/load-runtime.js';
import { createTokens } from './src/tokens.js';

const appDir = dirname(fileURLToPath(import.meta.url));

let config;
try {
  config = readConfig(process.env, appDir);
} catch (error) {
  process.stderr.write(`${error.message}\n`);
  process.exit(2);
}

const runtime = await loadRuntime(process.env, appDir);
const log = runtime.jsonLineLog({ write: (line) => process.stdout.write(line) });
const pool = runtime.createPool({
  ...runtime.poolOptionsFromEnv(process.env),
  applicationName: `cvstomize-api@${config.release}`,
  log,
});
const fault = createFaultSwitch(config.fault);
let prisma;
try {
  prisma = await createDatabase(runtime, pool);
} catch (error) {
  log.error(error.message, { event: 'startup.failed', code: error.code, hint: error.hint });
  await pool.end();
  process.exit(1);
}

let shutdown;
const health = runtime.healthHandler({
  pool,
  timeoutMs: config.healthTimeoutMs,
  maintenance: config.maintenance,
  shuttingDown: () => shutdown?.isShuttingDown() ?? false,
});
const app = createApp({
  prisma,
  pool,
  tokens: createTokens(config.jwt),
  health,
  fault,
  log,
  release: config.release,
  metricsText: runtime.poolMetricsText,
});
const server = createServer((req, res) => {
  void app.handle(req, res);
});
// Behind a proxy with keep-alive upstream pools, idle sockets must outlive the proxy's own timeout.
server.keepAliveTimeout = 65_000;
shutdown = runtime.gracefulShutdown({ server, pool, budgetMs: config.shutdownBudgetMs, log });

server.listen(config.port, config.host, () => {
  const address = server.address();
  log.info(`cvstomize-api listening on http://${config.host}:${address.port}`, {
    event: 'listening',
    port: address.port,
    release: config.release,
    ...(fault.active ? { faultSwitch: config.fault } : {}),
  });
});
