import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listToolMigrations, planToolStatus } from './migration-tool.js';
import { sqlOfDryRun } from './run-migrate-tool.js';

describe('listToolMigrations', () => {
  it('orders a SQL folder by version (V2 before V10) and refuses a file not named V<n>__name.sql', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sqlf-'));
    try {
      for (const f of ['V10__c.sql', 'V2__b.sql', 'V1_1__a2.sql', 'V1__a.sql', 'README.md'])
        writeFileSync(join(dir, f), 'SELECT 1;\n');
      const tool = { tool: 'sql-folder' as const, dir, table: 't' };
      expect(listToolMigrations(tool).map((m) => m.name)).toEqual([
        'V1__a.sql',
        'V1_1__a2.sql',
        'V2__b.sql',
        'V10__c.sql',
      ]);
      writeFileSync(join(dir, 'add_users.sql'), 'SELECT 1;\n');
      expect(() => listToolMigrations(tool)).toThrow(
        expect.objectContaining({ code: 'PRODGUARD_MIGRATE_SQL_FOLDER_NAME' }),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names node-pg-migrate migrations without their extension, knex ones with it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'npm-'));
    try {
      writeFileSync(join(dir, '1700000000000_users.js'), '');
      writeFileSync(join(dir, '1700000000001_idx.sql'), 'CREATE INDEX i ON t (c);\n');
      expect(listToolMigrations({ tool: 'node-pg-migrate', dir, table: 'pgmigrations' })).toEqual([
        { name: '1700000000000_users', file: join(dir, '1700000000000_users.js') },
        {
          name: '1700000000001_idx',
          file: join(dir, '1700000000001_idx.sql'),
          sql: 'CREATE INDEX i ON t (c);\n',
        },
      ]);
      expect(listToolMigrations({ tool: 'knex', dir, table: 'knex_migrations' }).map((m) => m.name)).toEqual([
        '1700000000000_users.js',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('planToolStatus', () => {
  it('finds pending, edited, missing and out-of-order migrations', () => {
    const files = [
      { name: 'a', file: 'a', checksum: '1' },
      { name: 'b', file: 'b', checksum: '2' },
      { name: 'c', file: 'c', checksum: '3' },
      { name: 'd', file: 'd' },
    ];
    expect(
      planToolStatus(files, [
        { name: 'a', checksum: '1' },
        { name: 'c', checksum: 'changed' },
        { name: 'gone' },
      ]),
    ).toEqual({
      applied: ['a', 'c'],
      pending: ['b', 'd'],
      edited: ['c'],
      missing: ['gone'],
      outOfOrder: ['b'],
    });
  });
});

describe('sqlOfDryRun', () => {
  it("keeps the SQL of node-pg-migrate's dry run, without its progress lines", () => {
    expect(
      sqlOfDryRun(
        '◇ injected env (0) from .env // tip: ⌘ enable debugging { debug: true }\n> Migrating files:\n> - 1_x\ndry run\n### MIGRATION 1_x (UP) ###\nCREATE INDEX "t_c_index" ON "t" ("c");\nMigrations complete!\n',
      ).trim(),
    ).toBe('CREATE INDEX "t_c_index" ON "t" ("c");');
  });
});
