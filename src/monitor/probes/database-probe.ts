import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { redactText } from '../../kernel/redact.js';
import type { ProbeResult } from './probe-result.js';

/**
 * `SELECT 1` over a fresh connection, bounded by the timeout at connect and on the server
 * (statement_timeout); the error keeps the SQLSTATE (28P01, 53300, 57P03…) and never the password.
 */
export async function runDatabaseProbe(options: { url: string; timeoutMs: number }): Promise<ProbeResult> {
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) * 10) / 10;
  const client = new pg.Client({
    connectionString: options.url,
    connectionTimeoutMillis: options.timeoutMs,
    statement_timeout: options.timeoutMs,
    query_timeout: options.timeoutMs,
    application_name: 'prodguard-monitor',
  });
  // A backend that dies after the probe must not crash the monitor.
  client.on('error', () => {});
  let password: string | undefined;
  try {
    password = new URL(options.url).password || undefined;
  } catch {
    password = undefined;
  }
  try {
    await client.connect();
    await client.query('SELECT 1');
    return { ok: true, latencyMs: elapsed() };
  } catch (error) {
    const e = error as { code?: string; message?: string };
    const message = redactText(
      `${e.code ? `${e.code}: ` : ''}${e.message ?? String(error)}`,
      password ? [password] : [],
    );
    return { ok: false, latencyMs: elapsed(), error: message };
  } finally {
    // Ending a client whose connect failed rejects again with the same error, already reported above.
    await client.end().catch(() => undefined);
  }
}
