import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { makeOwnerOnlyDir, makePrivateDir } from './private-dir.js';

describe('makePrivateDir', () => {
  const root = mkdtempSync(join(tmpdir(), 'prodguard-private-dir-'));
  afterEach(() => rmSync(join(root, 'home'), { recursive: true, force: true }));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

  it('creates the folder 0700 and the missing ones on the way 0711, so a sibling folder stays reachable', () => {
    const dir = join(root, 'home', 'prodguard', 'app-1234');
    makePrivateDir(dir);
    expect(mode(dir)).toBe('700');
    expect(mode(join(root, 'home', 'prodguard'))).toBe('711');
    expect(mode(join(root, 'home'))).toBe('711');
  });

  it('leaves existing folders as they are', () => {
    const dir = join(root, 'home', 'state');
    mkdirSync(dir, { recursive: true, mode: 0o750 });
    makePrivateDir(join(dir, 'backups'));
    expect(mode(join(dir, 'backups'))).toBe('700');
    expect(mode(dir)).toBe('750');
  });

  it('makeOwnerOnlyDir also tightens an existing folder an older version left open, and only that one', () => {
    const dir = join(root, 'home', 'state');
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    const parentBefore = mode(join(root, 'home'));
    makeOwnerOnlyDir(dir);
    expect(mode(dir)).toBe('700');
    expect(mode(join(root, 'home'))).toBe(parentBefore);
  });
});
