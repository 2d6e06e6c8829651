import { spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRevisionSandbox } from '../../../src/platform/index.js';

const PASSWD = 'root:x:0:0::/root:/bin/sh\nnobody:x:65534:65534::/nonexistent:/usr/sbin/nologin\n';
const asRootOn = (dir: string, extra: object = {}) => ({
  runAs: undefined,
  projectRoot: '/srv/app',
  revisionsDir: join(dir, 'revisions'),
  uid: 0,
  readSystemFile: (path: string) => (path === '/etc/passwd' ? PASSWD : ''),
  ...extra,
});

// Folders closed to other users stop the revisions' user on its way; prodguard says which and how out.
describe('revision sandbox: closed folders are refused with the way out', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('names a closed folder on the way to the revisions folder (e.g. a state home under /root)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'prodguard-sandbox-'));
    const closed = join(dir, 'home');
    mkdirSync(closed, { mode: 0o700 });
    chmodSync(dir, 0o755);
    const sandbox = createRevisionSandbox({ ...asRootOn(dir), revisionsDir: join(closed, 'p', 'revisions') });
    expect(sandbox.user).toEqual({ name: 'per-environment', switched: true, perEnvironment: true });
    await expect(sandbox.place('staging', join(dir, 'artifact'))).rejects.toMatchObject({
      code: 'PRODGUARD_PLATFORM_RUN_DIR_UNREACHABLE',
      message: `Revisions run as another user, which cannot enter ${closed} (mode 700) on the way to their folder ${join(closed, 'p', 'revisions')}.`,
      hint: expect.stringContaining(`chmod o+x ${closed}`),
    });
  });

  it("refuses up front when app.start's program sits behind a closed folder (node under /root/.nvm)", () => {
    dir = mkdtempSync(join(tmpdir(), 'prodguard-sandbox-'));
    chmodSync(dir, 0o755);
    const bin = join(dir, 'nvm', 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'node'), '', { mode: 0o755 });
    chmodSync(join(dir, 'nvm'), 0o700);
    expect(() =>
      createRevisionSandbox(
        asRootOn(dir!, { start: { command: 'NODE_ENV=production node server.js', path: `/nowhere:${bin}` } }),
      ),
    ).toThrow(
      expect.objectContaining({
        code: 'PRODGUARD_PLATFORM_RUN_DIR_UNREACHABLE',
        message: `Revisions run as users of their own, which cannot enter ${join(dir, 'nvm')} (mode 700) on the way to \`node\` (${join(bin, 'node')}), the program app.start runs.`,
      }),
    );
    // Named by app.runAs, the message names it.
    expect(() =>
      createRevisionSandbox(
        asRootOn(dir!, { runAs: 'nobody', start: { command: 'node server.js', path: bin } }),
      ),
    ).toThrow(/^Revisions run as nobody, which cannot enter/);
    // Not root: revisions run as prodguard itself, nothing to check or switch.
    const own = createRevisionSandbox(
      asRootOn(dir, { uid: 1000, start: { command: 'node server.js', path: bin } }),
    );
    expect(own.user.switched).toBe(false);
  });
});

describe.runIf(process.getuid?.() === 0)('revision sandbox: build folders (root only)', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('places a build in a folder of its own with its own group, and sweeps what a killed build left', async () => {
    dir = mkdtempSync(join(tmpdir(), 'prodguard-sandbox-'));
    chmodSync(dir, 0o755);
    const sandbox = createRevisionSandbox(asRootOn(dir));
    // A build whose prodguard process died mid-build: its folder, and a process of its group still running.
    const dead = spawn('true');
    await new Promise((resolve) => dead.once('exit', resolve));
    const stale = await sandbox.placeBuild(`abc.tmp-${dead.pid}-1`);
    mkdirSync(join(stale!.dir, 'node_modules'));
    const leftover = spawn('sleep', ['60'], {
      uid: stale!.uid,
      gid: stale!.gid,
      detached: true,
      stdio: 'ignore',
    });
    const leftoverExit = new Promise((resolve) => leftover.once('exit', (_code, signal) => resolve(signal)));

    const placed = await sandbox.placeBuild(`def.tmp-${process.pid}-2`);
    expect(placed!.gid).not.toBe(stale!.gid);
    expect(placed!.env.HOME).toBe(join(placed!.work, 'home'));
    expect(statSync(placed!.work)).toMatchObject({ uid: 0, gid: placed!.gid });
    expect((statSync(placed!.work).mode & 0o777).toString(8)).toBe('750');
    // The tree folder stays root's until the commit is extracted into it and handed over.
    expect(statSync(placed!.dir).uid).toBe(0);
    expect(await leftoverExit).toBe('SIGKILL');
    expect(existsSync(stale!.work)).toBe(false);
  });

  it('runs a build as a uid of its own even when app.runAs names the account revisions share', async () => {
    dir = mkdtempSync(join(tmpdir(), 'prodguard-sandbox-'));
    chmodSync(dir, 0o755);
    const sandbox = createRevisionSandbox(asRootOn(dir, { runAs: 'nobody' }));
    const artifact = join(dir, 'artifacts', 'b'.repeat(40));
    mkdirSync(artifact, { recursive: true });
    expect((await sandbox.place('staging', artifact)).uid).toBe(65534);
    const build = await sandbox.placeBuild(`abc.tmp-${process.pid}-3`);
    expect(build!.uid).toBe(build!.gid);
    expect(build!.uid).not.toBe(65534);
    expect(build!.env.USER).toBe('prodguard-build');
  });

  it('a symlink or file a revision planted as its HOME/tmp never turns root’s chown and chmod elsewhere', async () => {
    dir = mkdtempSync(join(tmpdir(), 'prodguard-sandbox-'));
    chmodSync(dir, 0o755);
    const sandbox = createRevisionSandbox(asRootOn(dir));
    const artifact = join(dir, 'artifacts', 'c'.repeat(40));
    mkdirSync(artifact, { recursive: true });
    const first = await sandbox.place('staging', artifact);
    const tmp = first.env.TMPDIR!;
    // What the revision's user can do in its own HOME: point tmp at a folder of root's (here a stand-in for /etc).
    const victim = join(dir, 'victim');
    mkdirSync(victim, { mode: 0o755 });
    chmodSync(victim, 0o755);
    rmSync(tmp, { recursive: true });
    symlinkSync(victim, tmp);
    const again = await sandbox.place('staging', artifact);
    expect(statSync(victim)).toMatchObject({ uid: 0 });
    expect((statSync(victim).mode & 0o777).toString(8)).toBe('755');
    expect(lstatSync(tmp).isDirectory()).toBe(true);
    expect(lstatSync(tmp).uid).toBe(again.uid);
    // A file in its place is replaced by the folder too.
    rmSync(tmp, { recursive: true });
    writeFileSync(tmp, 'not a folder');
    await sandbox.place('staging', artifact);
    expect(lstatSync(tmp).isDirectory()).toBe(true);
  });

  it("sets aside an environment's HOME another uid left, instead of walking it as root", async () => {
    dir = mkdtempSync(join(tmpdir(), 'prodguard-sandbox-'));
    chmodSync(dir, 0o755);
    const sandbox = createRevisionSandbox(asRootOn(dir));
    const artifact = join(dir, 'artifacts', 'a'.repeat(40));
    mkdirSync(artifact, { recursive: true });
    writeFileSync(join(artifact, 'server.js'), '');
    const first = await sandbox.place('staging', artifact);
    // As an older version left it: owned by the one shared user, with a file of its own inside.
    const home = first.env.HOME!;
    chownSync(home, 65534, 65534);
    writeFileSync(join(home, 'cache'), 'x');
    chownSync(join(home, 'cache'), 65534, 65534);
    const again = await sandbox.place('staging', artifact);
    expect(again.env.HOME).toBe(home);
    expect(statSync(home).uid).toBe(again.uid);
    expect(existsSync(join(home, 'cache'))).toBe(false);
    const aside = readdirSync(dirname(home)).filter((n) => n.startsWith('home.previous-uid-65534-'));
    expect(aside).toHaveLength(1);
    expect(statSync(join(dirname(home), aside[0]!, 'cache')).uid).toBe(65534);
  });
});
