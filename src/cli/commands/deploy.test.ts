import { describe, expect, it } from 'vitest';
import { DeployEvents } from '../../deploy/index.js';
import type { CliIo } from '../io.js';
import { styleFor } from '../render.js';
import { deployExitCode, renderDeployEvents } from './deploy.js';

function captureIo(): { io: CliIo; out: string[] } {
  const out: string[] = [];
  const io: CliIo = {
    cwd: '/',
    env: {},
    stdout: (t) => out.push(t),
    stderr: (t) => out.push(t),
    readStdin: async () => '',
    stdinIsTTY: false,
    stdoutIsTTY: false,
    setExitCode: () => {},
    signal: new AbortController().signal,
  };
  return { io, out };
}

describe('deploy rendering', () => {
  it('streams NDJSON with credentials masked', () => {
    const { io, out } = captureIo();
    const events = new DeployEvents();
    renderDeployEvents(io, events, styleFor(io, false), true);
    events.emit('operation:finished', {
      operationId: 'op-1',
      environment: 'production',
      kind: 'deploy',
      outcome: 'failed',
      elapsedMs: 12,
      message: 'smoke failed: could not connect to postgres://app:s3cr3t-Passw0rd@db:5432/app',
    });
    expect(out).toHaveLength(1);
    const line = JSON.parse(out[0]!) as Record<string, unknown>;
    expect(line.event).toBe('operation:finished');
    expect(line.message).toBe('smoke failed: could not connect to postgres://app:[redacted]@db:5432/app');
    expect(out[0]).not.toContain('s3cr3t');
  });

  it('renders a step line with its elapsed time, ✗ when the analysis found a breach', () => {
    const { io, out } = captureIo();
    const events = new DeployEvents();
    renderDeployEvents(io, events, styleFor(io, false), false);
    events.emit('step:finished', {
      operationId: 'op',
      step: 'traffic-10',
      elapsedMs: 300,
      detail: '10 % to r2',
      ok: true,
    });
    events.emit('step:finished', {
      operationId: 'op',
      step: 'analyze-10',
      elapsedMs: 15_400,
      detail: 'breach: error rate 50.0 % > 5.0 % over 30s',
      ok: false,
    });
    expect(out.join('')).toMatchInlineSnapshot(`
      "  ✓ traffic-10          0.3s  10 % to r2
        ✗ analyze-10         15.4s  breach: error rate 50.0 % > 5.0 % over 30s
      "
    `);
  });

  it('maps outcomes to the documented exit codes', () => {
    expect(
      ['success', 'refused', 'rolled-back', 'failed', 'aborted'].map((o) =>
        deployExitCode({ outcome: o as never }),
      ),
    ).toEqual([0, 1, 3, 3, 3]);
  });
});
