import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { processRunning } from '../../helpers/processes.js';
import { waitFor } from '../../helpers/wait-for.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Pids of live processes whose working folder is under `dir` or whose parent is `parent` (Linux /proc). */
function processesOf(dir: string, parent: number): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const cwd = readlinkSync(`/proc/${name}/cwd`);
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Fields after the command name: state, then parent pid. A zombie is not running.
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state !== 'Z' && (cwd.startsWith(`${dir}/`) || Number(ppid) === parent)) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

describe.runIf(process.platform === 'linux')(
  'a bench interrupted (real child processes; needs `npm run build`)',
  () => {
    const tmp = mkdtempSync(join(tmpdir(), 'prodguard-bench-interrupt-'));
    // As root, revisions run as another user, which must pass through it.
    chmodSync(tmp, 0o711);
    afterAll(() => {
      // Should the bench not have, so a failure here leaves nothing running for the next suites.
      for (const pid of processesOf(tmp, -1)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
      rmSync(tmp, { recursive: true, force: true });
    });

    it('Ctrl-C stops the detached agent, its revisions and the bench’s own children, and removes its folder', async () => {
      // router.mjs starts a detached agent (`up --detach`), a revision, the app reached directly and nginx.
      const bench = spawn(process.execPath, ['bench/router.mjs', '--quick'], {
        cwd: ROOT,
        env: { ...process.env, TMPDIR: tmp, PRODGUARD_STATE_HOME: '', NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      bench.stdout.on('data', (d: Buffer) => {
        output += d.toString();
      });
      bench.stderr.on('data', (d: Buffer) => {
        output += d.toString();
      });
      const exited = new Promise<number | null>((resolve) => bench.once('exit', (code) => resolve(code)));
      // Under load: the revision serves and the first scenario has begun.
      await waitFor(
        'the first scenario to start',
        () => {
          if (bench.exitCode !== null) throw new Error(`the bench exited with ${bench.exitCode}:\n${output}`);
          return output.includes('GET / (answers at once');
        },
        { timeoutMs: 60_000 },
      );
      const started = processesOf(tmp, bench.pid!);
      const commands = started.map((pid) =>
        readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' '),
      );
      expect(
        commands.some((c) => c.includes('prodguard.js up')),
        commands.join('\n'),
      ).toBe(true);
      expect(
        commands.some((c) => c.includes('node server.mjs')),
        commands.join('\n'),
      ).toBe(true);

      bench.kill('SIGINT');
      expect(await exited, output).toBe(130);
      expect(output).toContain('SIGINT: stopping what the bench started');
      for (const pid of started) await waitFor(`process ${pid} to be gone`, () => !processRunning(pid));
      expect(processesOf(tmp, bench.pid!)).toEqual([]);
      expect(readdirSync(tmp)).toEqual([]);
    }, 90_000);
  },
);
