import { execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isProdguardError } from '../../kernel/errors.js';
import { copyBuiltTree, giveTreeTo, killProcessesOfGroup, reclaimTree } from './build-tree.js';

const asRoot = process.getuid?.() === 0;
const uid = process.getuid?.() ?? 0;
let base: string;
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'prodguard-build-tree-'));
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

describe('copyBuiltTree', () => {
  it('copies files into fresh inodes with their executable bit, keeps symlinks, drops FIFOs and set-id bits', async () => {
    const from = join(base, 'src');
    mkdirSync(join(from, 'node_modules', 'dep'), { recursive: true });
    writeFileSync(join(from, 'node_modules', 'dep', 'index.js'), 'dep');
    writeFileSync(join(from, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
    chmodSync(join(from, 'run.sh'), 0o4755);
    symlinkSync('/etc/passwd', join(from, 'link'));
    execFileSync('mkfifo', [join(from, 'fifo')]);
    await copyBuiltTree(from, join(base, 'out'), uid);
    const out = join(base, 'out');
    expect(readFileSync(join(out, 'node_modules', 'dep', 'index.js'), 'utf8')).toBe('dep');
    expect(statSync(join(out, 'node_modules', 'dep', 'index.js')).ino).not.toBe(
      statSync(join(from, 'node_modules', 'dep', 'index.js')).ino,
    );
    expect((statSync(join(out, 'run.sh')).mode & 0o7777).toString(8)).toBe('755');
    expect((statSync(join(out, 'node_modules', 'dep', 'index.js')).mode & 0o777).toString(8)).toBe('644');
    expect(lstatSync(join(out, 'link')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(out, 'link'))).toBe('/etc/passwd');
    expect(existsSync(join(out, 'fifo'))).toBe(false);
  });

  it.runIf(asRoot)('refuses a file the build user does not own (a hard link to another file)', async () => {
    const from = join(base, 'src');
    mkdirSync(from);
    writeFileSync(join(from, 'own.txt'), 'x');
    writeFileSync(join(from, 'foreign.txt'), 'secret');
    chownSync(join(from, 'own.txt'), 65534, 65534);
    const error = await copyBuiltTree(from, join(base, 'out'), 65534).catch((e: unknown) => e);
    expect(isProdguardError(error) && error.code).toBe('PRODGUARD_PLATFORM_BUILD_FOREIGN_FILE');
  });
});

describe.runIf(asRoot)('giveTreeTo and reclaimTree (root only)', () => {
  it('hands a tree to the build user, then takes every folder back before reading it', async () => {
    const work = join(base, 'work');
    mkdirSync(join(work, 'src', 'a', 'b'), { recursive: true });
    writeFileSync(join(work, 'src', 'a', 'b', 'f'), 'x');
    await giveTreeTo(work, 65534, 65534);
    expect(statSync(join(work, 'src', 'a', 'b', 'f')).uid).toBe(65534);
    chmodSync(join(work, 'src', 'a'), 0o777);
    await reclaimTree(work);
    expect(statSync(work).uid).toBe(0);
    expect((statSync(work).mode & 0o777).toString(8)).toBe('700');
    for (const dir of ['src', 'src/a', 'src/a/b']) {
      expect(statSync(join(work, dir)).uid, dir).toBe(0);
      expect((statSync(join(work, dir)).mode & 0o777).toString(8), dir).toBe('755');
    }
    // Files stay the build's: the artifact is a copy of them, never these inodes.
    expect(statSync(join(work, 'src', 'a', 'b', 'f')).uid).toBe(65534);
  });
});

describe.runIf(asRoot)('killProcessesOfGroup (root only)', () => {
  it('kills every process of the group, also one that left its process group, and nothing else', async () => {
    const start = (gid: number) =>
      spawn('sleep', ['60'], { uid: 65534, gid, detached: true, stdio: 'ignore' });
    const build = start(1_900_000_321);
    const other = start(1_900_000_322);
    const exited = (child: ReturnType<typeof start>) =>
      new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    const buildExit = exited(build);
    try {
      expect(await killProcessesOfGroup(1_900_000_321)).toBe(1);
      expect(await buildExit).toBe('SIGKILL');
      expect(other.exitCode).toBeNull();
      expect(other.signalCode).toBeNull();
      expect(await killProcessesOfGroup(1_900_000_399)).toBe(0);
    } finally {
      other.kill('SIGKILL');
      build.kill('SIGKILL');
    }
  });
});
