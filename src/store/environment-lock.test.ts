import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../test/helpers/wait-for.js';
import { ManualClock } from '../kernel/clock.js';
import { acquireEnvironmentLock, LockHeldError } from './environment-lock.js';
import { StateStore } from './state-store.js';

const base = { environment: 'production', operation: 'deploy', owner: 'alice@x' };

describe('environment locks', () => {
  it('refuses a second holder naming the first, and takes over an expired lease', async () => {
    const store = StateStore.open(':memory:');
    const clock = new ManualClock('2026-05-01T10:00:00Z');
    // A live process on another host: only the lease protects it.
    await acquireEnvironmentLock(store, { ...base, clock, ttlMs: 30_000, host: 'other-host', pid: 1 });
    const refused = acquireEnvironmentLock(store, { ...base, owner: 'bob@x', clock });
    await expect(refused).rejects.toBeInstanceOf(LockHeldError);
    await expect(refused).rejects.toThrow(/locked by "deploy" \(alice@x, pid 1 on other-host/);
    clock.advance(30_001);
    const taken = await acquireEnvironmentLock(store, { ...base, owner: 'bob@x', clock });
    expect(taken.heartbeat()).toBe(true);
  });

  it('waits up to --wait, polling with the injected clock', async () => {
    const store = StateStore.open(':memory:');
    const clock = new ManualClock();
    await acquireEnvironmentLock(store, { ...base, clock, ttlMs: 10_000, host: 'other-host', pid: 1 });
    const lock = await acquireEnvironmentLock(store, {
      ...base,
      owner: 'bob@x',
      clock,
      waitMs: 20_000,
      pollMs: 1000,
    });
    expect(clock.nowMs() - new Date('2026-01-01T00:00:00Z').getTime()).toBe(10_000);
    lock.release();
  });

  it('takes over from a holder on this host that died, also while it is an unreaped zombie', async () => {
    const store = StateStore.open(':memory:');
    const clock = new ManualClock();
    // The forked child exits at once and its parent never waits for it: a zombie until the parent exits.
    const shell = spawn(
      'python3',
      [
        '-c',
        'import os, sys, time\npid = os.fork()\nif pid == 0: os._exit(0)\nprint(pid, flush=True)\ntime.sleep(5)',
      ],
      {
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    const zombie = await new Promise<number>((resolve) =>
      shell.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim()))),
    );
    // The child has exited once /proc shows it as a zombie (state Z): that is the state under test.
    await waitFor(`pid ${zombie} to become a zombie`, () => {
      const stat = readFileSync(`/proc/${zombie}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
    });
    try {
      await acquireEnvironmentLock(store, {
        ...base,
        clock,
        ttlMs: 3_600_000,
        host: hostname(),
        pid: zombie,
      });
      const taken = await acquireEnvironmentLock(store, { ...base, owner: 'bob@x', clock });
      expect(taken.environment).toBe('production');
      // A live holder on this host is respected.
      taken.release();
      await acquireEnvironmentLock(store, {
        ...base,
        clock,
        ttlMs: 3_600_000,
        host: hostname(),
        pid: process.pid,
      });
      await expect(acquireEnvironmentLock(store, { ...base, owner: 'bob@x', clock })).rejects.toBeInstanceOf(
        LockHeldError,
      );
    } finally {
      shell.kill();
    }
  });
});
