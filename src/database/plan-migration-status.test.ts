import { describe, expect, it } from 'vitest';
import type { MigrationFile } from './migration-files.js';
import { planMigrationStatus } from './plan-migration-status.js';
import { checksumMatches, prismaChecksum } from './prisma-checksum.js';
import type { MigrationRow } from './prisma-migrations-table.js';

const file = (name: string, sql = `-- ${name}\n`): MigrationFile => ({
  name,
  dir: `/m/${name}`,
  path: `/m/${name}/migration.sql`,
  sql,
  checksum: prismaChecksum(sql),
  downPath: undefined,
  downSql: undefined,
});
const at = new Date('2026-01-01T00:00:00Z');
const row = (name: string, over: Partial<MigrationRow> = {}): MigrationRow => ({
  id: `id-${name}`,
  checksum: prismaChecksum(`-- ${name}\n`),
  finishedAt: at,
  migrationName: name,
  logs: null,
  rolledBackAt: null,
  startedAt: at,
  appliedStepsCount: 1,
  ...over,
});

describe('planMigrationStatus', () => {
  it('classifies applied, pending, failed, edited, missing and out-of-order migrations', () => {
    const files = [
      file('1_a'),
      file('2_b', '-- changed\n'),
      file('3_c'),
      file('4_d'),
      file('5_e'),
      file('6_f'),
    ];
    const rows = [
      row('1_a'),
      row('2_b'),
      row('4_d'),
      row('5_e', { finishedAt: null, logs: 'boom' }),
      row('6_f', { rolledBackAt: at }),
      row('0_gone'),
    ];
    const status = planMigrationStatus(files, rows);
    expect(status.entries.map((e) => `${e.name}:${e.state}`)).toEqual([
      '1_a:applied',
      '2_b:edited',
      '3_c:out-of-order',
      '4_d:applied',
      '5_e:failed',
      '6_f:pending',
      '0_gone:missing',
    ]);
    expect(status.pending).toEqual(['3_c', '6_f']);
    expect(status.failed).toEqual(['5_e']);
    expect(status.entries.find((e) => e.name === '5_e')?.logs).toBe('boom');
  });

  it('a migration retried after a rolled-back failure is applied', () => {
    const status = planMigrationStatus(
      [file('1_a')],
      [row('1_a', { finishedAt: null, rolledBackAt: at }), row('1_a')],
    );
    expect(status.entries).toEqual([{ name: '1_a', state: 'applied', appliedAt: at.toISOString() }]);
  });

  it('matches checksums across CRLF and LF, as Prisma does', () => {
    const lf = 'CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n';
    const crlf = lf.replace(/\n/g, '\r\n');
    expect(checksumMatches(crlf, prismaChecksum(lf))).toBe(true);
    expect(checksumMatches(lf, prismaChecksum(crlf))).toBe(true);
    expect(checksumMatches(`${lf}-- edit\n`, prismaChecksum(lf))).toBe(false);
    expect(prismaChecksum('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});
