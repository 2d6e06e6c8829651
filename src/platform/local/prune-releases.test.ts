import {
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pruneReleases } from './prune-releases.js';

const HOUR = 3_600_000;
const NOW = Date.parse('2026-12-02T12:00:00Z');
const sha = (c: string) => c.repeat(40);

describe('pruneReleases', () => {
  let root: string | undefined;
  afterEach(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  /** An artifact with its record, built `ageMs` before NOW, and its copy (hard links) in an environment. */
  const built = (artifacts: string, revisions: string, commit: string, ageMs: number, size = 1000) => {
    mkdirSync(join(artifacts, commit), { recursive: true });
    writeFileSync(join(artifacts, commit, 'app.js'), 'x'.repeat(size));
    writeFileSync(
      join(artifacts, `${commit}.release.json`),
      JSON.stringify({ commit, digest: 'sha256:0', builtAt: new Date(NOW - ageMs).toISOString() }),
    );
    writeFileSync(join(artifacts, `${commit}.build.log`), 'built\n');
    const copy = join(revisions, 'staging', 'releases', commit);
    mkdirSync(copy, { recursive: true });
    linkSync(join(artifacts, commit, 'app.js'), join(copy, 'app.js'));
    const then = new Date(NOW - ageMs);
    utimesSync(copy, then, then);
  };

  /** What a deploy does an hour's grace after building: only release `a` is in use. */
  const pruneKeepingA = (artifacts: string, revisions: string) =>
    pruneReleases({
      artifactsDir: artifacts,
      revisionsDir: revisions,
      keep: new Set([sha('a')]),
      graceMs: HOUR,
      nowMs: NOW,
    });

  it('removes what no revision needs once older than the grace period, with records, logs and copies', async () => {
    root = mkdtempSync(join(tmpdir(), 'prodguard-prune-'));
    const artifacts = join(root, 'artifacts');
    const revisions = join(root, 'revisions');
    built(artifacts, revisions, sha('a'), 5 * HOUR); // kept: in use
    built(artifacts, revisions, sha('b'), 5 * HOUR, 4096); // old, unused: removed
    built(artifacts, revisions, sha('c'), 10 * 60_000); // unused but just built: a deploy may be starting it
    mkdirSync(join(artifacts, `${sha('d')}.changed-${NOW - 2 * HOUR}`));
    mkdirSync(join(artifacts, `${sha('e')}.unrecorded-${NOW - 60_000}`));
    mkdirSync(join(artifacts, `${sha('f')}.tmp-123-${NOW - 5 * HOUR}`));
    writeFileSync(join(artifacts, `${sha('9')}.failed-build.log`), 'boom\n');
    utimesSync(
      join(artifacts, `${sha('9')}.failed-build.log`),
      new Date(NOW - 2 * HOUR),
      new Date(NOW - 2 * HOUR),
    );
    writeFileSync(join(artifacts, 'notes.txt'), 'not prodguard’s');

    const pruned = await pruneKeepingA(artifacts, revisions);

    expect(pruned.commits).toEqual([sha('b')]);
    // The artifact's file was shared with the copy: its bytes were freed when the last link went.
    expect(pruned.bytes).toBeGreaterThanOrEqual(4096);
    for (const gone of [sha('b'), `${sha('b')}.release.json`, `${sha('b')}.build.log`])
      expect(existsSync(join(artifacts, gone)), gone).toBe(false);
    expect(existsSync(join(revisions, 'staging', 'releases', sha('b')))).toBe(false);
    expect(existsSync(join(artifacts, `${sha('d')}.changed-${NOW - 2 * HOUR}`))).toBe(false);
    expect(existsSync(join(artifacts, `${sha('9')}.failed-build.log`))).toBe(false);
    for (const kept of [
      sha('a'),
      `${sha('a')}.release.json`,
      sha('c'),
      `${sha('e')}.unrecorded-${NOW - 60_000}`,
      `${sha('f')}.tmp-123-${NOW - 5 * HOUR}`,
      'notes.txt',
    ])
      expect(existsSync(join(artifacts, kept)), kept).toBe(true);
    expect(existsSync(join(revisions, 'staging', 'releases', sha('a')))).toBe(true);
    expect(existsSync(join(revisions, 'staging', 'releases', sha('c')))).toBe(true);
  });

  it('finishes a removal a SIGKILL cut short: nothing half-removed stays under a release name', async () => {
    root = mkdtempSync(join(tmpdir(), 'prodguard-prune-'));
    const artifacts = join(root, 'artifacts');
    const revisions = join(root, 'revisions');
    const leftovers = [
      join(artifacts, `${sha('b')}.removing-123-${NOW - 1000}`),
      join(revisions, 'staging', 'releases', `${sha('b')}.removing-123-${NOW - 1000}`),
    ];
    for (const left of leftovers) {
      mkdirSync(join(left, 'node_modules'), { recursive: true });
      writeFileSync(join(left, 'node_modules', 'half.js'), 'x');
    }
    built(artifacts, revisions, sha('a'), 5 * HOUR);
    const pruned = await pruneKeepingA(artifacts, revisions);
    for (const left of leftovers) expect(existsSync(left), left).toBe(false);
    expect(pruned.commits).toEqual([]);
    expect(existsSync(join(artifacts, sha('a')))).toBe(true);
    // Whatever is removed leaves no renamed-aside tree behind.
    await pruneReleases({
      artifactsDir: artifacts,
      revisionsDir: revisions,
      keep: new Set(),
      graceMs: 0,
      nowMs: NOW,
    });
    expect(readdirSync(artifacts)).toEqual([]);
    expect(readdirSync(join(revisions, 'staging', 'releases'))).toEqual([]);
  });

  it('does nothing when the folders do not exist', async () => {
    root = mkdtempSync(join(tmpdir(), 'prodguard-prune-'));
    await expect(
      pruneReleases({
        artifactsDir: join(root, 'none'),
        revisionsDir: join(root, 'none-either'),
        keep: new Set(),
        graceMs: 0,
        nowMs: NOW,
      }),
    ).resolves.toEqual({ commits: [], bytes: 0 });
  });
});
