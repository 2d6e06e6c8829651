import { describe, expect, it } from 'vitest';
import { processRunning } from '../../test/helpers/processes.js';
import { waitFor } from '../../test/helpers/wait-for.js';
import { nodeProcessRunner } from './process-runner.js';

describe('nodeProcessRunner', () => {
  it('killGroupOnExit ends what the command left in its process group, even one holding its output open', async () => {
    // The background sleep keeps stdout open: without the option the result would wait for it.
    const result = await nodeProcessRunner.runShell('sleep 60 & echo $!', {
      cwd: process.cwd(),
      killGroupOnExit: true,
      timeoutMs: 30_000,
    });
    expect(result.failed, result.stderr).toBe(false);
    expect(result.timedOut).toBe(false);
    expect(result.durationMs).toBeLessThan(30_000);
    const pid = Number(result.stdout.trim());
    expect(pid).toBeGreaterThan(0);
    // The pipe closes in the kernel's exit path before the process turns zombie, so the result can come a
    // moment before /proc shows the sleep gone. Without the kill it would run for a minute: 5 s still fails.
    await waitFor('the background sleep to be killed', () => !processRunning(pid), { timeoutMs: 5_000 });
  });

  it.runIf(process.getuid?.() === 0)(
    'runs as the given uid and gid, with no supplementary groups (root only)',
    async () => {
      const result = await nodeProcessRunner.run('id', ['-u'], { cwd: '/', uid: 65534, gid: 1_900_000_123 });
      expect(result.stdout.trim()).toBe('65534');
      const groups = await nodeProcessRunner.run('id', ['-G'], { cwd: '/', uid: 65534, gid: 1_900_000_123 });
      expect(groups.stdout.trim()).toBe('1900000123');
    },
  );
});
