import { type ChildProcess, spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import type { Clock } from '../../kernel/clock.js';
import { ProdguardError } from '../../kernel/errors.js';
import { proxiedDatabaseUrl } from './decide-sql-proxy.js';

export interface CloudSqlProxyOptions {
  /** `project:region:instance`. */
  connectionName: string;
  /** Loopback port the proxy listens on (the migration URL then points at 127.0.0.1:<port>). */
  port: number;
  /** Path or name of the binary; default `cloud-sql-proxy` from PATH. */
  binary?: string;
  /** Use the instance's private IP (from inside the VPC). */
  privateIp?: boolean;
  clock: Clock;
  startTimeoutMs?: number;
  /** The proxy's environment; the caller leaves the database URLs out (the proxy needs none). */
  env?: NodeJS.ProcessEnv;
  /** Ctrl-C while waiting: the proxy is stopped and the start fails. */
  signal?: AbortSignal;
  /** Named in errors (`environment production`). */
  environment?: string;
}

export interface RunningCloudSqlProxy {
  readonly port: number;
  readonly pid: number | undefined;
  url(databaseUrl: string): string;
  stop(): Promise<void>;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Stops the child and resolves once it is gone (SIGTERM, then SIGKILL after `graceMs`). */
function stopChild(child: ChildProcess, closed: Promise<void>, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return closed;
  child.kill('SIGTERM');
  const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
  kill.unref();
  return closed.finally(() => clearTimeout(kill));
}

/**
 * Starts the Cloud SQL Auth Proxy v2 (`cloud-sql-proxy <connection> --port N --address 127.0.0.1`) for the
 * length of a command, waits until its port accepts connections, and stops it after. It authenticates with
 * the same Application Default Credentials as prodguard: its argv and environment carry no database
 * password (the database role's password stays in the URL prodguard's own client uses).
 */
export async function startCloudSqlProxy(options: CloudSqlProxyOptions): Promise<RunningCloudSqlProxy> {
  const args = [options.connectionName, '--port', String(options.port), '--address', '127.0.0.1'];
  if (options.privateIp) args.push('--private-ip');
  const where = options.environment ? ` for ${options.environment} (${options.connectionName})` : '';
  const binary = options.binary ?? 'cloud-sql-proxy';
  const child: ChildProcess = spawn(binary, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.env ? { env: options.env } : {}),
  });
  // A second Ctrl-C exits prodguard at once (process.exit): the proxy must not outlive it.
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);
  // v2 logs its progress on stdout and its errors on stderr: the last of both goes into an error.
  let output = '';
  const keep = (d: Buffer) => {
    output = (output + d.toString('utf8')).slice(-2_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: string | undefined;
  // 'close' comes after the exit and the end of stderr, so the error below has all of it.
  const closed = new Promise<void>((resolve) => {
    child.once('error', (e) => {
      exited ??= e.message;
      resolve();
    });
    child.once('close', (code, signal) => {
      exited ??= `exited with ${code ?? signal}`;
      resolve();
    });
  }).finally(() => process.removeListener('exit', killOnExit));
  const stop = () => stopChild(child, closed);
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const deadline = options.clock.nowMs() + timeoutMs;
  for (let i = 0; ; i++) {
    if (exited !== undefined) {
      await closed;
      const said = output.trim();
      throw new ProdguardError(
        'PRODGUARD_GCP_PROXY_FAILED',
        `cloud-sql-proxy${where} did not start: ${exited}.${said ? ` It said: ${said}` : ''}`,
        {
          hint: 'Check `gcloud auth application-default login` (or the service account), the Cloud SQL Client role, and the connection name; or set platform.sqlProxy.mode: off and use a direct database URL.',
        },
      );
    }
    if (await portOpen(options.port)) break;
    if (options.signal?.aborted || options.clock.nowMs() > deadline || i >= 100_000) {
      await stop();
      const said = output.trim();
      if (options.signal?.aborted)
        throw new ProdguardError(
          'PRODGUARD_GCP_PROXY_FAILED',
          `Interrupted while cloud-sql-proxy${where} started.`,
        );
      throw new ProdguardError(
        'PRODGUARD_GCP_PROXY_TIMEOUT',
        `cloud-sql-proxy${where} did not listen on 127.0.0.1:${options.port} within ${timeoutMs} ms; it was stopped.${said ? ` It said: ${said}` : ''}`,
        {
          hint: 'Check the connection name (project:region:instance), the Cloud SQL Client role and the network path (--private-ip needs the VPC); or raise platform.sqlProxy.startTimeout.',
        },
      );
    }
    await options.clock.sleep(50, options.signal).catch(() => undefined);
  }
  return {
    port: options.port,
    pid: child.pid,
    url: (databaseUrl) =>
      proxiedDatabaseUrl(databaseUrl, options.port, options.environment ?? 'this environment'),
    stop,
  };
}
