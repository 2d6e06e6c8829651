import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { ProbeResult } from './probe-result.js';

/** Opens a TCP connection and closes it; ok when the handshake completes before the timeout. */
export function runTcpProbe(options: {
  host: string;
  port: number;
  timeoutMs: number;
}): Promise<ProbeResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = connect({ host: options.host, port: options.port });
    const done = (result: Omit<ProbeResult, 'latencyMs'>) => {
      socket.destroy();
      resolve({ ...result, latencyMs: Math.round((performance.now() - started) * 10) / 10 });
    };
    socket.setTimeout(options.timeoutMs, () =>
      done({ ok: false, error: `no TCP handshake within ${options.timeoutMs} ms` }),
    );
    socket.once('connect', () => done({ ok: true }));
    socket.once('error', (error: NodeJS.ErrnoException) =>
      done({ ok: false, error: `${error.code ?? 'ERROR'}: ${options.host}:${options.port}` }),
    );
  });
}
