import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRole, type TestRole } from '../runtime/runtime-fixtures.js';
import { APP_DIR, dbEnv, runScript } from './example-app-fixtures.js';
import {
  diffShapes,
  readCatalogShape,
  readPrismaDmmf,
  type SchemaShape,
  shapeFromDmmf,
} from './schema-drift.js';

const SCHEMA = join(APP_DIR, 'prisma', 'schema.prisma');

describe('examples/cvstomize-api: schema.prisma and the migrations describe the same database', () => {
  let role: TestRole;
  let work: string;
  let migrated: SchemaShape;
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'schema-drift-'));
    role = await createTestRole('drift');
    const migrate = await runScript(join(APP_DIR, 'scripts', 'migrate.mjs'), ['deploy'], dbEnv(role));
    expect(migrate.code).toBe(0);
    const client = new pg.Client({
      host: role.host,
      port: role.port,
      user: role.user,
      password: role.password,
      database: role.database.name,
    });
    await client.connect();
    try {
      migrated = await readCatalogShape(client);
    } finally {
      await client.end();
    }
  });
  afterAll(async () => {
    await role?.drop();
    rmSync(work, { recursive: true, force: true });
  });

  it('every model, column type, nullability, default, key, index and foreign key matches', async () => {
    const declared = shapeFromDmmf(await readPrismaDmmf(SCHEMA, work));
    expect(Object.keys(declared).sort()).toEqual(['generated_resumes', 'resumes', 'templates', 'users']);
    expect(diffShapes(declared, migrated)).toEqual([]);
  });

  it('a schema change without its migration is drift, named column by column', async () => {
    const edited = join(work, 'edited.prisma');
    writeFileSync(
      edited,
      readFileSync(SCHEMA, 'utf8')
        .replace(
          '  name         String\n',
          '  name         String   @db.VarChar(120)\n  nickname     String?\n',
        )
        .replace('  @@index([userId])\n', ''),
    );
    const declared = shapeFromDmmf(await readPrismaDmmf(edited, work));
    expect(diffShapes(declared, migrated)).toEqual([
      'resumes indexes: schema.prisma has [], the migrated database ["user_id"]',
      'users.name: schema.prisma has "character varying(120) NOT NULL", the migrated database "text NOT NULL"',
      'users.nickname: schema.prisma has "text", the migrated database nothing',
    ]);
  });
});
