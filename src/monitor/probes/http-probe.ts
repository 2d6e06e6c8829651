import { performance } from 'node:perf_hooks';
import { redactText } from '../../kernel/redact.js';
import type { ProbeResult } from './probe-result.js';

/** GET the URL; ok when the status is within the accepted range before the timeout. */
export async function runHttpProbe(options: {
  url: string;
  timeoutMs: number;
  expectStatus?: [number, number];
  headers?: Record<string, string>;
}): Promise<ProbeResult> {
  const [lo, hi] = options.expectStatus ?? [200, 299];
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) * 10) / 10;
  try {
    const res = await fetch(options.url, {
      signal: AbortSignal.timeout(options.timeoutMs),
      headers: { 'user-agent': 'prodguard-monitor', ...options.headers },
      redirect: 'manual',
    });
    await res.body?.cancel();
    const ok = res.status >= lo && res.status <= hi;
    return { ok, latencyMs: elapsed(), status: res.status, ...(ok ? {} : { error: `HTTP ${res.status}` }) };
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    return {
      ok: false,
      latencyMs: elapsed(),
      error: timedOut ? `no answer within ${options.timeoutMs} ms` : redactText(describe(error)),
    };
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause as { code?: string; message?: string } | undefined;
    return cause?.code ? `${cause.code}: ${cause.message ?? error.message}` : error.message;
  }
  return String(error);
}
