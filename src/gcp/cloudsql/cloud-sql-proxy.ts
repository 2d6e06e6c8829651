import { type ChildProcess, spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import type { Clock } from '../../kernel/clock.js';
import { ProdguardError } from '../../kernel/errors.js';

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
}

export interface RunningCloudSqlProxy {
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

/**
 * Starts the Cloud SQL Auth Proxy v2 (`cloud-sql-proxy <connection> --port N --address 127.0.0.1`) for the
 * length of a migration or drift check, waits until its port accepts connections, and stops it after.
 * It authenticates with the same Application Default Credentials as prodguard, so no database
 * password is needed for the transport (the database role's password still is).
 */
export async function startCloudSqlProxy(options: CloudSqlProxyOptions): Promise<RunningCloudSqlProxy> {
  const args = [options.connectionName, '--port', String(options.port), '--address', '127.0.0.1'];
  if (options.privateIp) args.push('--private-ip');
  let exited: string | undefined;
  const child: ChildProcess = spawn(options.binary ?? 'cloud-sql-proxy', args, {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString('utf8')).slice(-2_000);
  });
  child.once('error', (e) => {
    exited = e.message;
  });
  child.once('exit', (code, signal) => {
    exited ??= `exited with ${code ?? signal}`;
  });
  const deadline = options.clock.nowMs() + (options.startTimeoutMs ?? 30_000);
  for (let i = 0; i < 10_000; i++) {
    if (exited !== undefined)
      throw new ProdguardError(
        'PRODGUARD_GCP_PROXY_FAILED',
        `cloud-sql-proxy did not start: ${exited}. ${stderr.trim()}`,
        {
          hint: 'Install it (https://cloud.google.com/sql/docs/postgres/sql-proxy), check `gcloud auth application-default login`, or set database.url to a direct URL.',
        },
      );
    if (await portOpen(options.port)) break;
    if (options.clock.nowMs() > deadline) {
      child.kill('SIGTERM');
      throw new ProdguardError(
        'PRODGUARD_GCP_PROXY_FAILED',
        `cloud-sql-proxy did not listen on 127.0.0.1:${options.port} in time.`,
        {
          hint: 'Check the connection name (project:region:instance) and the Cloud SQL Client role.',
        },
      );
    }
    await options.clock.sleep(100);
  }
  return {
    url(databaseUrl: string) {
      const u = new URL(databaseUrl);
      u.hostname = '127.0.0.1';
      u.port = String(options.port);
      return u.toString();
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
