import { describe, expect, it } from 'vitest';
import { LINT_RULES, lintMigration, lintMigrationHistory } from '../../../src/database/index.js';

/**
 * A second, held-out lint corpus written from the rule documentation rather than from the visible corpus:
 * each case restates, in its own SQL, an example or a documented case of squawk's rule pages, of
 * strong_migrations' README (its "Bad" and "Good" variants) or of the PostgreSQL docs. `unsafe` uses the
 * visible corpus's meaning: on PostgreSQL 15, against an existing, populated, in-use table, the file takes a
 * long blocking lock, rewrites or scans the table under a strong lock, breaks the running app, destroys data,
 * fails on a non-empty table, or fails inside a transaction. `rules` are the error rules expected (all of
 * them, so a case also pins what is not flagged).
 */
interface HeldOutCase {
  name: string;
  source: string;
  sql: string;
  rules: string[];
  /** Warnings that must be present too (style and robustness rules). */
  warnings?: string[];
  assumeInTransaction?: boolean;
  postgresVersion?: number;
  /** Earlier migrations of the same history, linted first. */
  history?: string[];
}

const SQ = 'squawk docs';
const SM = 'strong_migrations README';
const PG = 'PostgreSQL 15 ALTER TABLE notes';

const HELD_OUT: readonly HeldOutCase[] = [
  // adding-field-with-default
  {
    name: 'constant default on PG11+',
    source: `${SQ} adding-field-with-default`,
    sql: `ALTER TABLE invoices ADD COLUMN late_fee integer DEFAULT 25;`,
    rules: [],
  },
  {
    name: 'constant default before PG11',
    source: `${SQ} adding-field-with-default`,
    sql: `ALTER TABLE invoices ADD COLUMN late_fee integer DEFAULT 25;`,
    postgresVersion: 10,
    rules: ['adding-field-with-default'],
  },
  {
    name: 'add, then set default separately',
    source: `${SQ} adding-field-with-default`,
    sql: `ALTER TABLE invoices ADD COLUMN late_fee integer;\nALTER TABLE invoices ALTER COLUMN late_fee SET DEFAULT 25;`,
    rules: [],
  },
  {
    name: 'volatile random() default',
    source: `${SQ} adding-field-with-default`,
    sql: `ALTER TABLE invoices ADD COLUMN jitter double precision DEFAULT random();`,
    rules: ['adding-field-with-default'],
  },
  {
    name: 'gen_random_uuid() default',
    source: `${SM} adding a column with a volatile default value`,
    sql: `ALTER TABLE accounts ADD COLUMN public_id uuid DEFAULT gen_random_uuid();`,
    rules: ['adding-field-with-default'],
  },
  {
    name: 'uuid default set after adding',
    source: `${SM} adding a column with a volatile default value (Good)`,
    sql: `ALTER TABLE accounts ADD COLUMN public_id uuid;\nALTER TABLE accounts ALTER COLUMN public_id SET DEFAULT gen_random_uuid();`,
    rules: [],
  },
  {
    name: 'extension function default counts as volatile',
    source: `${SQ} adding-field-with-default`,
    sql: `ALTER TABLE accounts ADD COLUMN token uuid DEFAULT uuid_generate_v4();`,
    rules: ['adding-field-with-default'],
  },
  {
    name: 'user function default counts as volatile',
    source: `${SQ} adding-field-with-default`,
    sql: `ALTER TABLE accounts ADD COLUMN prefs jsonb DEFAULT default_prefs();`,
    rules: ['adding-field-with-default'],
  },
  {
    name: 'now() is stable',
    source: `${SQ} adding-field-with-default`,
    sql: `ALTER TABLE accounts ADD COLUMN seen_at timestamptz DEFAULT now();`,
    rules: [],
  },
  {
    name: 'now() with an argument is no built-in',
    source: `${SQ} adding-field-with-default`,
    sql: `ALTER TABLE accounts ADD COLUMN seen_at timestamptz DEFAULT now(5);`,
    rules: ['adding-field-with-default'],
  },
  {
    name: 'CURRENT_TIMESTAMP',
    source: `${SQ} adding-field-with-default`,
    sql: `ALTER TABLE accounts ADD COLUMN seen_at timestamptz DEFAULT CURRENT_TIMESTAMP;`,
    rules: [],
  },
  {
    name: 'stable expression with interval',
    source: `${SQ} adding-field-with-default`,
    sql: `ALTER TABLE reports ADD COLUMN refreshed_at timestamptz NOT NULL DEFAULT now() - interval '1 day';`,
    rules: [],
  },
  {
    name: 'string, enum, bool, jsonb, arithmetic, array defaults',
    source: `${SQ} adding-field-with-default`,
    sql: `ALTER TABLE accounts ADD COLUMN tier text DEFAULT 'free';\nALTER TABLE accounts ADD COLUMN mood mood_kind DEFAULT 'calm';\nALTER TABLE accounts ADD COLUMN active boolean DEFAULT false;\nALTER TABLE accounts ADD COLUMN meta jsonb DEFAULT '{}'::jsonb;\nALTER TABLE accounts ADD COLUMN slots integer DEFAULT 3 * 4;\nALTER TABLE accounts ADD COLUMN tags text[] DEFAULT ARRAY[]::text[];`,
    rules: [],
  },
  {
    name: 'SET LOGGED alongside a volatile default',
    source: `${SQ} adding-field-with-default; ${PG}`,
    sql: `ALTER TABLE events SET LOGGED, ADD COLUMN nonce integer DEFAULT floor(random() * 10);`,
    rules: ['rewriting-table', 'adding-field-with-default'],
  },
  {
    name: 'stored generated column',
    source: `${SM} adding a stored generated column`,
    sql: `ALTER TABLE orders ADD COLUMN total numeric GENERATED ALWAYS AS (price * quantity) STORED;`,
    rules: ['adding-field-with-default'],
  },
  {
    name: 'serial column',
    source: `${SM} adding an auto-incrementing column`,
    sql: `ALTER TABLE memberships ADD COLUMN seq bigserial;`,
    rules: ['adding-field-with-default'],
  },
  {
    name: 'identity column',
    source: `${SM} adding an auto-incrementing column`,
    sql: `ALTER TABLE memberships ADD COLUMN seq bigint GENERATED BY DEFAULT AS IDENTITY;`,
    rules: ['adding-field-with-default'],
  },
  // adding-required-field / adding-not-nullable-field
  {
    name: 'NOT NULL without default',
    source: `${SQ} adding-required-field`,
    sql: `ALTER TABLE posts ADD COLUMN published boolean NOT NULL;`,
    rules: ['adding-required-field'],
  },
  {
    name: 'NOT NULL with constant default',
    source: `${SQ} adding-required-field`,
    sql: `ALTER TABLE posts ADD COLUMN published boolean NOT NULL DEFAULT false;`,
    rules: [],
  },
  {
    name: 'nullable column',
    source: `${SQ} adding-required-field`,
    sql: `ALTER TABLE posts ADD COLUMN published boolean;`,
    rules: [],
  },
  {
    name: 'SET NOT NULL',
    source: `${SQ} adding-not-nullable-field; ${SM} setting NOT NULL on an existing column`,
    sql: `ALTER TABLE posts ALTER COLUMN author_id SET NOT NULL;`,
    rules: ['adding-not-nullable-field'],
  },
  {
    name: 'SET NOT NULL with an unrelated data change, in BEGIN',
    source: `${SQ} adding-not-nullable-field`,
    sql: `BEGIN;\nALTER TABLE posts ALTER COLUMN author_id SET NOT NULL;\nUPDATE schema_version SET v = 2 WHERE v = 1;\nCOMMIT;`,
    assumeInTransaction: false,
    rules: ['adding-not-nullable-field'],
  },
  {
    name: 'NOT VALID check only: SET NOT NULL still scans',
    source: `${SM} setting NOT NULL on an existing column`,
    sql: `ALTER TABLE posts ADD CONSTRAINT posts_author_nn CHECK (author_id IS NOT NULL) NOT VALID;\nALTER TABLE posts ALTER COLUMN author_id SET NOT NULL;`,
    assumeInTransaction: false,
    rules: ['adding-not-nullable-field'],
  },
  {
    name: 'check validated in two transactions, then SET NOT NULL',
    source: `${SM} setting NOT NULL on an existing column (Good)`,
    sql: `BEGIN;\nALTER TABLE posts ADD CONSTRAINT posts_author_nn CHECK (author_id IS NOT NULL) NOT VALID;\nCOMMIT;\nBEGIN;\nALTER TABLE posts VALIDATE CONSTRAINT posts_author_nn;\nALTER TABLE posts ALTER COLUMN author_id SET NOT NULL;\nALTER TABLE posts DROP CONSTRAINT posts_author_nn;\nCOMMIT;`,
    assumeInTransaction: false,
    rules: [],
  },
  {
    name: 'same, on PostgreSQL 11 (no scan skip)',
    source: `${SQ} adding-not-nullable-field`,
    sql: `BEGIN;\nALTER TABLE posts ADD CONSTRAINT posts_author_nn CHECK (author_id IS NOT NULL) NOT VALID;\nCOMMIT;\nBEGIN;\nALTER TABLE posts VALIDATE CONSTRAINT posts_author_nn;\nALTER TABLE posts ALTER COLUMN author_id SET NOT NULL;\nCOMMIT;`,
    assumeInTransaction: false,
    postgresVersion: 11,
    rules: ['adding-not-nullable-field'],
  },
  {
    name: 'validate (added in an earlier migration), then SET NOT NULL',
    source: `${SM} setting NOT NULL (Good, second migration)`,
    sql: `ALTER TABLE posts VALIDATE CONSTRAINT posts_author_nn;\nALTER TABLE posts ALTER COLUMN author_id SET NOT NULL;\nALTER TABLE posts DROP CONSTRAINT posts_author_nn;`,
    rules: [],
  },
  {
    name: 'validated check is on another column',
    source: `${SQ} adding-not-nullable-field`,
    sql: `ALTER TABLE posts ADD CONSTRAINT posts_editor_nn CHECK (editor_id IS NOT NULL) NOT VALID;\nALTER TABLE posts VALIDATE CONSTRAINT posts_editor_nn;\nALTER TABLE posts ALTER COLUMN author_id SET NOT NULL;`,
    assumeInTransaction: false,
    rules: ['adding-not-nullable-field'],
  },
  {
    name: 'history: check added and validated in earlier files',
    source: `${SM} setting NOT NULL on an existing column (Good)`,
    history: [
      `ALTER TABLE posts ADD CONSTRAINT posts_author_nn CHECK (author_id IS NOT NULL) NOT VALID;`,
      `ALTER TABLE posts VALIDATE CONSTRAINT posts_author_nn;`,
    ],
    sql: `ALTER TABLE posts ALTER COLUMN author_id SET NOT NULL;`,
    rules: [],
  },
  // foreign keys and check constraints
  {
    name: 'foreign key validated at once',
    source: `${SQ} adding-foreign-key-constraint; ${SM} adding a foreign key`,
    sql: `ALTER TABLE comments ADD CONSTRAINT comments_post_fk FOREIGN KEY (post_id) REFERENCES posts (id);`,
    rules: ['constraint-missing-not-valid', 'adding-foreign-key-constraint'],
  },
  {
    name: 'foreign key NOT VALID',
    source: `${SM} adding a foreign key (Good)`,
    sql: `ALTER TABLE comments ADD CONSTRAINT comments_post_fk FOREIGN KEY (post_id) REFERENCES posts (id) NOT VALID;`,
    rules: [],
  },
  {
    name: 'foreign key validated in a later migration',
    source: `${SM} adding a foreign key (Good)`,
    sql: `ALTER TABLE comments VALIDATE CONSTRAINT comments_post_fk;`,
    rules: [],
  },
  {
    name: 'NOT VALID + VALIDATE in one BEGIN block',
    source: `${SQ} constraint-missing-not-valid`,
    sql: `BEGIN;\nALTER TABLE comments ADD CONSTRAINT comments_post_fk FOREIGN KEY (post_id) REFERENCES posts (id) NOT VALID;\nALTER TABLE comments VALIDATE CONSTRAINT comments_post_fk;\nCOMMIT;`,
    assumeInTransaction: false,
    rules: ['constraint-missing-not-valid'],
  },
  {
    name: 'NOT VALID + VALIDATE in one file run as one transaction',
    source: `${SQ} constraint-missing-not-valid`,
    sql: `ALTER TABLE comments ADD CONSTRAINT comments_post_fk FOREIGN KEY (post_id) REFERENCES posts (id) NOT VALID;\nALTER TABLE comments VALIDATE CONSTRAINT comments_post_fk;`,
    rules: ['constraint-missing-not-valid'],
  },
  {
    name: 'NOT VALID + VALIDATE as separate statements',
    source: `${SQ} constraint-missing-not-valid`,
    sql: `ALTER TABLE comments ADD CONSTRAINT comments_post_fk FOREIGN KEY (post_id) REFERENCES posts (id) NOT VALID;\nALTER TABLE comments VALIDATE CONSTRAINT comments_post_fk;`,
    assumeInTransaction: false,
    rules: [],
  },
  {
    name: 'column REFERENCES on an existing table',
    source: `${SQ} adding-foreign-key-constraint; ${SM} adding a reference`,
    sql: `ALTER TABLE comments ADD COLUMN editor_id bigint REFERENCES users (id);`,
    rules: ['adding-foreign-key-constraint'],
  },
  {
    name: 'new table with a foreign key',
    source: `${SQ} adding-foreign-key-constraint`,
    sql: `CREATE TABLE likes (id bigint PRIMARY KEY, post_id bigint NOT NULL REFERENCES posts (id));`,
    rules: [],
  },
  {
    name: 'new table, then foreign key in the same file',
    source: `${SQ} adding-foreign-key-constraint`,
    sql: `CREATE TABLE likes (id uuid NOT NULL, post_id uuid NOT NULL);\nALTER TABLE likes ADD CONSTRAINT likes_post_fk FOREIGN KEY (post_id) REFERENCES posts (id);`,
    rules: [],
  },
  {
    name: 'check constraint validated at once',
    source: `${SQ} constraint-missing-not-valid; ${SM} adding a check constraint`,
    sql: `ALTER TABLE wallets ADD CONSTRAINT wallets_nonneg CHECK (balance >= 0);`,
    rules: ['constraint-missing-not-valid'],
  },
  {
    name: 'check constraint NOT VALID',
    source: `${SM} adding a check constraint (Good)`,
    sql: `ALTER TABLE wallets ADD CONSTRAINT wallets_nonneg CHECK (balance >= 0) NOT VALID;`,
    rules: [],
  },
  {
    name: 'check constraint on a new table',
    source: `${SQ} constraint-missing-not-valid`,
    sql: `CREATE TABLE wallets (id bigint PRIMARY KEY, balance integer NOT NULL);\nALTER TABLE wallets ADD CONSTRAINT wallets_nonneg CHECK (balance >= 0);`,
    rules: [],
  },
  {
    name: 'exclusion constraint',
    source: `${SM} adding an exclusion constraint`,
    sql: `ALTER TABLE bookings ADD CONSTRAINT bookings_no_overlap EXCLUDE USING gist (room WITH =, during WITH &&);`,
    rules: ['adding-exclusion-constraint'],
  },
  // unique and primary keys
  {
    name: 'unique constraint',
    source: `${SQ} disallowed-unique-constraint; ${SM} adding a unique constraint`,
    sql: `ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);`,
    rules: ['disallowed-unique-constraint'],
  },
  {
    name: 'unique column added',
    source: `${SQ} disallowed-unique-constraint`,
    sql: `ALTER TABLE users ADD COLUMN handle text UNIQUE;`,
    rules: ['disallowed-unique-constraint'],
  },
  {
    name: 'named unique column added',
    source: `${SQ} disallowed-unique-constraint`,
    sql: `ALTER TABLE users ADD COLUMN handle text CONSTRAINT users_handle_key UNIQUE;`,
    rules: ['disallowed-unique-constraint'],
  },
  {
    name: 'unique index built concurrently, then attached',
    source: `${SM} adding a unique constraint (Good)`,
    sql: `CREATE UNIQUE INDEX CONCURRENTLY users_email_idx ON users (email);\nALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_idx;`,
    assumeInTransaction: false,
    rules: [],
  },
  {
    name: 'unique constraint on a new table',
    source: `${SQ} disallowed-unique-constraint`,
    sql: `CREATE TABLE skus (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, code text NOT NULL);\nALTER TABLE skus ADD CONSTRAINT skus_code_key UNIQUE (code);`,
    rules: [],
  },
  {
    name: 'dropping a unique constraint',
    source: `${SQ} disallowed-unique-constraint`,
    sql: `ALTER TABLE users DROP CONSTRAINT users_email_key;`,
    rules: [],
  },
  {
    name: 'swap primary key to a prebuilt index',
    source: `${SQ} disallowed-unique-constraint`,
    sql: `CREATE UNIQUE INDEX CONCURRENTLY orders_pk_new ON orders (id);\nALTER TABLE orders DROP CONSTRAINT orders_pkey, ADD CONSTRAINT orders_pkey PRIMARY KEY USING INDEX orders_pk_new;`,
    assumeInTransaction: false,
    rules: [],
  },
  {
    name: 'primary key built under the lock',
    source: `${SQ} adding-serial-primary-key-field`,
    sql: `ALTER TABLE audit_rows ADD PRIMARY KEY (id);`,
    rules: ['adding-serial-primary-key-field'],
  },
  {
    name: 'serial primary key column',
    source: `${SQ} adding-serial-primary-key-field`,
    sql: `ALTER TABLE audit_rows ADD COLUMN id serial PRIMARY KEY;`,
    rules: ['adding-field-with-default', 'adding-serial-primary-key-field'],
  },
  {
    name: 'primary key USING INDEX',
    source: `${SQ} adding-serial-primary-key-field`,
    sql: `ALTER TABLE audit_rows ADD CONSTRAINT audit_rows_pkey PRIMARY KEY USING INDEX audit_rows_id_idx;`,
    rules: [],
  },
  // indexes
  {
    name: 'index without CONCURRENTLY',
    source: `${SQ} require-concurrent-index-creation; ${SM} adding an index non-concurrently`,
    sql: `CREATE INDEX users_created_idx ON users (created_at);`,
    rules: ['require-concurrent-index-creation'],
  },
  {
    name: 'unnamed index without CONCURRENTLY',
    source: `${SQ} require-concurrent-index-creation`,
    sql: `CREATE INDEX ON users (created_at);`,
    rules: ['require-concurrent-index-creation'],
  },
  {
    name: 'index CONCURRENTLY alone',
    source: `${SM} adding an index non-concurrently (Good)`,
    sql: `CREATE INDEX CONCURRENTLY users_created_idx ON users (created_at);`,
    rules: [],
  },
  {
    name: 'index on a table created in the same file',
    source: `${SQ} require-concurrent-index-creation`,
    sql: `CREATE TABLE tenants_users (id serial PRIMARY KEY, tenant_id integer);\nCREATE INDEX tenants_users_tenant_idx ON tenants_users (tenant_id);`,
    rules: [],
  },
  {
    name: 'index ON ONLY a partitioned table, then partition indexes built concurrently',
    source: 'PostgreSQL CREATE INDEX docs (partitioned tables)',
    sql: `CREATE INDEX measurements_at_idx ON ONLY measurements (at);`,
    rules: [],
  },
  {
    name: 'CONCURRENTLY inside BEGIN',
    source: `${SQ} ban-concurrent-index-creation-in-transaction`,
    sql: `BEGIN;\nCREATE INDEX CONCURRENTLY users_created_idx ON users (created_at);\nCOMMIT;`,
    assumeInTransaction: false,
    rules: ['ban-concurrent-index-creation-in-transaction'],
  },
  {
    name: 'CONCURRENTLY with SET in a file run as one query',
    source: `${SQ} ban-concurrent-index-creation-in-transaction`,
    sql: `SET lock_timeout = '2s';\nCREATE INDEX CONCURRENTLY users_created_idx ON users (created_at);`,
    rules: ['ban-concurrent-index-creation-in-transaction'],
  },
  {
    name: 'drop index without CONCURRENTLY',
    source: `${SQ} require-concurrent-index-deletion`,
    sql: `DROP INDEX users_created_idx;`,
    rules: ['require-concurrent-index-deletion'],
  },
  {
    name: 'drop index IF EXISTS without CONCURRENTLY',
    source: `${SQ} require-concurrent-index-deletion`,
    sql: `DROP INDEX IF EXISTS users_created_idx;`,
    rules: ['require-concurrent-index-deletion'],
  },
  {
    name: 'drop index CONCURRENTLY',
    source: `${SQ} require-concurrent-index-deletion`,
    sql: `DROP INDEX CONCURRENTLY IF EXISTS users_created_idx;`,
    rules: [],
  },
  {
    name: 'drop trigger',
    source: `${SQ} require-concurrent-index-deletion`,
    sql: `DROP TRIGGER IF EXISTS users_touch ON users;`,
    rules: [],
  },
  {
    name: 'reindex table',
    source: `${SQ} require-concurrent-reindex`,
    sql: `REINDEX TABLE users;`,
    rules: ['require-concurrent-reindex'],
  },
  {
    name: 'reindex index',
    source: `${SQ} require-concurrent-reindex`,
    sql: `REINDEX INDEX users_created_idx;`,
    rules: ['require-concurrent-reindex'],
  },
  {
    name: 'reindex schema',
    source: `${SQ} require-concurrent-reindex`,
    sql: `REINDEX SCHEMA app;`,
    rules: ['require-concurrent-reindex'],
  },
  {
    name: 'reindex concurrently',
    source: `${SQ} require-concurrent-reindex`,
    sql: `REINDEX INDEX CONCURRENTLY users_created_idx;`,
    rules: [],
  },
  {
    name: 'reindex (concurrently) option',
    source: `${SQ} require-concurrent-reindex`,
    sql: `REINDEX (CONCURRENTLY) TABLE users;`,
    rules: [],
  },
  {
    name: 'reindex (concurrently false) is a plain REINDEX',
    source: 'PostgreSQL REINDEX docs (boolean options: false, off, 0)',
    sql: `REINDEX (CONCURRENTLY false) INDEX users_created_idx;`,
    rules: ['require-concurrent-reindex'],
  },
  {
    name: 'reindex system catalogs',
    source: `${SQ} require-concurrent-reindex`,
    sql: `REINDEX SYSTEM app_db;`,
    rules: [],
  },
  // partitions, rewrites
  {
    name: 'detach partition',
    source: `${SQ} require-concurrent-partition-detach`,
    sql: `ALTER TABLE measurements DETACH PARTITION measurements_2019;`,
    rules: ['require-concurrent-partition-detach'],
  },
  {
    name: 'detach partition concurrently',
    source: `${SQ} require-concurrent-partition-detach`,
    sql: `ALTER TABLE measurements DETACH PARTITION measurements_2019 CONCURRENTLY;`,
    rules: [],
  },
  {
    name: 'detach partition finalize',
    source: `${SQ} require-concurrent-partition-detach`,
    sql: `ALTER TABLE measurements DETACH PARTITION measurements_2019 FINALIZE;`,
    rules: [],
  },
  { name: 'SET UNLOGGED', source: PG, sql: `ALTER TABLE sessions SET UNLOGGED;`, rules: ['rewriting-table'] },
  {
    name: 'VACUUM FULL',
    source: `${SQ} prefer-repack`,
    sql: `VACUUM FULL sessions;`,
    rules: ['prefer-repack'],
  },
  { name: 'plain VACUUM', source: 'PostgreSQL VACUUM docs', sql: `VACUUM (ANALYZE) sessions;`, rules: [] },
  {
    name: 'VACUUM (FULL off) is a plain VACUUM',
    source: 'PostgreSQL VACUUM docs (boolean options: false, off, 0)',
    sql: `VACUUM (FULL off, ANALYZE) sessions;`,
    rules: [],
  },
  {
    name: 'VACUUM (FULL 1)',
    source: 'PostgreSQL VACUUM docs (boolean options: true, on, 1)',
    sql: `VACUUM (FULL 1) sessions;`,
    rules: ['prefer-repack'],
  },
  {
    name: 'CLUSTER',
    source: `${SQ} prefer-repack`,
    sql: `CLUSTER sessions USING sessions_pkey;`,
    rules: ['prefer-repack'],
  },
  // column types
  {
    name: 'type change, old type unknown',
    source: `${SQ} changing-column-type; ${SM} changing the type of a column`,
    sql: `ALTER TABLE recipes ALTER COLUMN notes TYPE text USING notes::text;`,
    rules: ['changing-column-type'],
  },
  {
    name: 'int → bigint rewrites',
    source: `${SQ} changing-column-type`,
    history: [`CREATE TABLE recipes (id integer PRIMARY KEY, notes varchar(200));`],
    sql: `ALTER TABLE recipes ALTER COLUMN id TYPE bigint;`,
    rules: ['changing-column-type'],
  },
  {
    name: 'varchar(200) → varchar(500)',
    source: `${SM} changing the type of a column; ${PG}`,
    history: [`CREATE TABLE recipes (id bigint PRIMARY KEY, notes varchar(200));`],
    sql: `ALTER TABLE recipes ALTER COLUMN notes TYPE varchar(500);`,
    rules: [],
  },
  {
    name: 'varchar(200) → varchar(100) rewrites',
    source: `${SM} changing the type of a column`,
    history: [`CREATE TABLE recipes (id bigint PRIMARY KEY, notes varchar(200));`],
    sql: `ALTER TABLE recipes ALTER COLUMN notes TYPE varchar(100);`,
    rules: ['changing-column-type'],
  },
  {
    name: 'varchar(n) → text',
    source: `${SQ} changing-column-type; ${SM}`,
    history: [`CREATE TABLE recipes (id bigint PRIMARY KEY, notes varchar(200));`],
    sql: `ALTER TABLE recipes ALTER COLUMN notes SET DATA TYPE text;`,
    rules: [],
  },
  {
    name: 'varchar(n) → varchar, then → text (same file)',
    source: `${SQ} changing-column-type`,
    sql: `CREATE TABLE drafts (body varchar(80));\nALTER TABLE drafts ALTER COLUMN body TYPE varchar;`,
    rules: [],
  },
  {
    name: 'two changes, the first from an unknown type',
    source: `${SQ} changing-column-type`,
    sql: `BEGIN;\nALTER TABLE recipes ALTER COLUMN title TYPE varchar(255) USING title::varchar(255);\nALTER TABLE recipes ALTER COLUMN title TYPE text USING title::text;\nCOMMIT;`,
    assumeInTransaction: false,
    rules: ['changing-column-type'],
  },
  {
    name: 'numeric(10,2) → numeric(12,2)',
    source: `${SM} changing the type of a column`,
    history: [`CREATE TABLE prices (amount numeric(10,2));`],
    sql: `ALTER TABLE prices ALTER COLUMN amount TYPE numeric(12,2);`,
    rules: [],
  },
  {
    name: 'numeric(10,2) → numeric(12,4) rewrites',
    source: `${SM} changing the type of a column`,
    history: [`CREATE TABLE prices (amount numeric(10,2));`],
    sql: `ALTER TABLE prices ALTER COLUMN amount TYPE numeric(12,4);`,
    rules: ['changing-column-type'],
  },
  {
    name: 'numeric(10,2) → numeric',
    source: `${SM} changing the type of a column`,
    history: [`CREATE TABLE prices (amount numeric(10,2));`],
    sql: `ALTER TABLE prices ALTER COLUMN amount TYPE numeric;`,
    rules: [],
  },
  {
    name: 'cidr → inet',
    source: `${SM} changing the type of a column`,
    history: [`CREATE TABLE nets (block cidr);`],
    sql: `ALTER TABLE nets ALTER COLUMN block TYPE inet;`,
    rules: [],
  },
  {
    name: 'timestamp(0) → timestamp(3)',
    source: `${SM} changing the type of a column`,
    history: [`CREATE TABLE logs (at timestamp(0));`],
    sql: `ALTER TABLE logs ALTER COLUMN at TYPE timestamp(3);`,
    rules: [],
  },
  {
    name: 'timestamp → timestamptz outside UTC',
    source: `${SM} changing the type of a column`,
    history: [`CREATE TABLE logs (at timestamp(3));`],
    sql: `ALTER TABLE logs ALTER COLUMN at TYPE timestamptz(3);`,
    rules: ['changing-column-type'],
  },
  {
    name: 'bit varying growth',
    source: PG,
    history: [`CREATE TABLE flags (bits bit varying(8));`],
    sql: `ALTER TABLE flags ALTER COLUMN bits TYPE bit varying(16);`,
    rules: [],
  },
  {
    name: 'USING that computes values',
    source: PG,
    history: [`CREATE TABLE recipes (notes varchar(200));`],
    sql: `ALTER TABLE recipes ALTER COLUMN notes TYPE text USING upper(notes);`,
    rules: ['changing-column-type'],
  },
  // renames and drops
  {
    name: 'rename column',
    source: `${SQ} renaming-column; ${SM} renaming a column`,
    sql: `ALTER TABLE people RENAME COLUMN fullname TO display_name;`,
    rules: ['renaming-column'],
  },
  {
    name: 'rename table',
    source: `${SQ} renaming-table; ${SM} renaming a table`,
    sql: `ALTER TABLE people RENAME TO persons;`,
    rules: ['renaming-table'],
  },
  {
    name: 'rename enum value',
    source: `${SM} renaming an enum value`,
    sql: `ALTER TYPE order_state RENAME VALUE 'done' TO 'completed';`,
    rules: ['renaming-enum-value'],
  },
  {
    name: 'add enum value after another',
    source: `${SM} renaming an enum value (Good)`,
    sql: `ALTER TYPE order_state ADD VALUE 'completed' AFTER 'done';`,
    rules: [],
  },
  {
    name: 'add enum value at the end (style only)',
    source: `${SQ} require-enum-value-ordering`,
    sql: `ALTER TYPE order_state ADD VALUE IF NOT EXISTS 'archived';`,
    rules: [],
    warnings: ['require-enum-value-ordering'],
  },
  {
    name: 'rename schema',
    source: `${SM} renaming a schema`,
    sql: `ALTER SCHEMA billing RENAME TO invoicing;`,
    rules: ['renaming-schema'],
  },
  {
    name: 'drop column',
    source: `${SQ} ban-drop-column; ${SM} removing a column`,
    sql: `ALTER TABLE people DROP COLUMN nickname CASCADE;`,
    rules: ['ban-drop-column'],
  },
  {
    name: 'drop table',
    source: `${SQ} ban-drop-table`,
    sql: `DROP TABLE IF EXISTS legacy_sessions;`,
    rules: ['ban-drop-table'],
  },
  {
    name: 'drop table created in the same file',
    source: `${SQ} ban-drop-table`,
    sql: `CREATE TABLE scratch (id bigint);\nDROP TABLE scratch;`,
    rules: [],
  },
  {
    name: 'drop database',
    source: `${SQ} ban-drop-database`,
    sql: `DROP DATABASE IF EXISTS analytics;`,
    rules: ['ban-drop-database'],
  },
  {
    name: 'truncate cascade',
    source: `${SQ} ban-truncate-cascade`,
    sql: `TRUNCATE orders, order_lines CASCADE;`,
    rules: ['ban-truncate-cascade'],
  },
  {
    name: 'drop schema cascade',
    source: 'PostgreSQL DROP SCHEMA docs (CASCADE drops the objects it contains)',
    sql: `DROP SCHEMA analytics CASCADE;`,
    rules: ['ban-drop-cascade'],
  },
  {
    name: 'drop type cascade drops the columns of that type',
    source: 'PostgreSQL DROP TYPE docs; dependency tracking',
    sql: `DROP TYPE mood CASCADE;`,
    rules: ['ban-drop-cascade'],
  },
  {
    name: 'drop an empty schema, an unused old enum, a type made here',
    source: 'PostgreSQL DROP SCHEMA / DROP TYPE docs (RESTRICT refuses while anything depends on it)',
    sql: `DROP SCHEMA scratch;\nDROP TYPE "Status_old";\nCREATE TYPE tmp_state AS ENUM ('a');\nDROP TYPE tmp_state CASCADE;`,
    rules: [],
  },
  {
    name: 'truncate without cascade: the rows are still lost',
    source: 'PostgreSQL TRUNCATE docs',
    sql: `TRUNCATE orders, order_lines;`,
    rules: ['ban-truncate'],
  },
  {
    name: 'truncate a table this migration created',
    source: 'PostgreSQL TRUNCATE docs',
    sql: `CREATE TABLE import_batch (id bigint PRIMARY KEY);\nINSERT INTO import_batch VALUES (1);\nTRUNCATE import_batch;`,
    rules: [],
  },
  {
    name: 'drop not null (warning)',
    source: `${SQ} ban-drop-not-null`,
    sql: `ALTER TABLE people ALTER COLUMN email DROP NOT NULL;`,
    rules: [],
    warnings: ['ban-drop-not-null'],
  },
  // domains
  {
    name: 'alter domain add constraint',
    source: `${SQ} ban-alter-domain-with-add-constraint`,
    sql: `ALTER DOMAIN positive_int ADD CONSTRAINT positive CHECK (VALUE > 0);`,
    rules: ['ban-alter-domain-with-add-constraint'],
  },
  {
    name: 'alter domain add constraint NOT VALID',
    source: 'PostgreSQL ALTER DOMAIN docs',
    sql: `ALTER DOMAIN positive_int ADD CONSTRAINT positive CHECK (VALUE > 0) NOT VALID;`,
    rules: [],
  },
  {
    name: 'alter domain actions that take no scan',
    source: `${SQ} ban-alter-domain-with-add-constraint`,
    sql: `ALTER DOMAIN d1 DROP NOT NULL;\nALTER DOMAIN d2 DROP CONSTRAINT c;\nALTER DOMAIN d3 RENAME CONSTRAINT a TO b;\nALTER DOMAIN d4 SET DEFAULT 0;`,
    rules: [],
  },
  {
    name: 'alter domain set not null scans every column of the type',
    source: 'PostgreSQL ALTER DOMAIN docs',
    sql: `ALTER DOMAIN email_address SET NOT NULL;`,
    rules: ['alter-domain-scan'],
  },
  {
    name: 'alter domain validate constraint before PostgreSQL 19',
    source: 'PostgreSQL ALTER DOMAIN docs; commit 16a0039 (lock lowered in 19)',
    sql: `ALTER DOMAIN positive_int VALIDATE CONSTRAINT positive;`,
    rules: ['alter-domain-scan'],
  },
  {
    name: 'alter domain validate constraint on PostgreSQL 19',
    source: 'PostgreSQL commit 16a0039 (SHARE UPDATE EXCLUSIVE)',
    sql: `ALTER DOMAIN positive_int VALIDATE CONSTRAINT positive;`,
    postgresVersion: 19,
    rules: [],
  },
  {
    name: 'create domain with a check (warning)',
    source: `${SQ} ban-create-domain-with-constraint`,
    sql: `CREATE DOMAIN cents AS bigint CHECK (VALUE >= 0);`,
    rules: [],
    warnings: ['ban-create-domain-with-constraint'],
  },
  // data changes
  {
    name: 'backfill in the transaction that added the column',
    source: `${SM} backfilling data`,
    sql: `ALTER TABLE users ADD COLUMN plan text;\nUPDATE users SET plan = 'free';`,
    rules: ['backfill-in-ddl-transaction'],
  },
  {
    name: 'backfill in batches, in its own migration',
    source: `${SM} backfilling data (Good)`,
    sql: `UPDATE users SET plan = 'free' WHERE plan IS NULL AND id BETWEEN 1 AND 10000;`,
    rules: [],
  },
  {
    name: 'whole-table backfill in one statement',
    source: `${SM} backfilling data`,
    sql: `UPDATE users SET email = lower(email);`,
    rules: ['unbatched-backfill'],
  },
  {
    name: 'DDL and backfill inside one DO block',
    source: `${SM} backfilling data; PostgreSQL DO docs`,
    sql: `DO $$\nDECLARE pick text := 'x';\nBEGIN\n  ALTER TABLE environments ADD COLUMN shortcode text;\n  UPDATE environments SET shortcode = pick || id::text;\nEND $$;`,
    assumeInTransaction: false,
    rules: ['backfill-in-ddl-transaction'],
  },
  {
    name: 'DO block with control flow is left alone',
    source: 'PostgreSQL DO docs',
    sql: `DO $$\nBEGIN\n  IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'mood') THEN\n    CREATE TYPE mood AS ENUM ('ok');\n  END IF;\nEND $$;`,
    rules: [],
  },
  {
    name: 'NOT NULL check validated on a column added above and never filled',
    source: `${SQ} adding-not-nullable-field (gh issue 628 shape); PostgreSQL ALTER TABLE VALIDATE CONSTRAINT`,
    sql: `BEGIN;\nALTER TABLE accounts ADD COLUMN region_id bigint;\nALTER TABLE accounts ADD CONSTRAINT region_id_nn CHECK (region_id IS NOT NULL) NOT VALID;\nCOMMIT;\nBEGIN;\nALTER TABLE accounts VALIDATE CONSTRAINT region_id_nn;\nALTER TABLE accounts ALTER COLUMN region_id SET NOT NULL;\nALTER TABLE accounts DROP CONSTRAINT region_id_nn;\nCOMMIT;`,
    assumeInTransaction: false,
    rules: ['adding-required-field'],
    warnings: ['require-lock-timeout'],
  },
  {
    name: 'the same, with a backfill between',
    source: `${SM} setting NOT NULL on an existing column`,
    sql: `BEGIN;\nALTER TABLE accounts ADD COLUMN region_id bigint;\nALTER TABLE accounts ADD CONSTRAINT region_id_nn CHECK (region_id IS NOT NULL) NOT VALID;\nCOMMIT;\nUPDATE accounts SET region_id = 1 WHERE region_id IS NULL AND id < 10000;\nBEGIN;\nALTER TABLE accounts VALIDATE CONSTRAINT region_id_nn;\nALTER TABLE accounts ALTER COLUMN region_id SET NOT NULL;\nALTER TABLE accounts DROP CONSTRAINT region_id_nn;\nCOMMIT;`,
    assumeInTransaction: false,
    rules: [],
  },
  {
    name: 'SET NOT NULL on a column just added without a default',
    source: 'PostgreSQL ALTER TABLE SET NOT NULL',
    sql: `ALTER TABLE accounts ADD COLUMN region_id bigint;\nALTER TABLE accounts ALTER COLUMN region_id SET NOT NULL;`,
    rules: ['adding-not-nullable-field', 'adding-required-field'],
  },
  {
    name: 'duplicate assignment fails',
    source: `${SQ} ban-duplicate-column-assignments`,
    sql: `UPDATE users SET plan = 'a', plan = 'b' WHERE id = 1;`,
    rules: ['ban-duplicate-column-assignments'],
  },
  {
    name: 'a whole column and one of its fields',
    source: 'PostgreSQL UPDATE docs ("multiple assignments to same column")',
    sql: `UPDATE places SET location = ROW(1, 2), location.x = 3 WHERE id = 1;`,
    rules: ['ban-duplicate-column-assignments'],
  },
  {
    name: 'fields and elements of one column',
    source: 'PostgreSQL UPDATE docs (column_name may have a subfield name or array subscript)',
    sql: `UPDATE places SET location.x = 1, location.y = 2, tags[1] = 'a', tags[2] = 'b' WHERE id = 1;\nINSERT INTO places (location.x, location.y) VALUES (1, 2);`,
    rules: [],
  },
  {
    name: 'insert names a column twice',
    source: `${SQ} ban-duplicate-column-assignments`,
    sql: `INSERT INTO users (email, email) VALUES ('a@example.com', 'b@example.com');`,
    rules: ['ban-duplicate-column-assignments'],
  },
  {
    name: 'upsert assigns a column twice',
    source: `${SQ} ban-duplicate-column-assignments`,
    sql: `INSERT INTO counters (id, n) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET n = counters.n + 1, n = 0;`,
    rules: ['ban-duplicate-column-assignments'],
  },
  {
    name: 'merge update assigns a column twice',
    source: `${SQ} ban-duplicate-column-assignments`,
    sql: `MERGE INTO stock s USING deliveries d ON s.item = d.item\nWHEN MATCHED THEN UPDATE SET qty = s.qty + d.qty, qty = 0;`,
    rules: ['ban-duplicate-column-assignments'],
  },
  {
    name: 'view whose columns share a name',
    source: 'PostgreSQL CREATE VIEW docs',
    sql: `CREATE VIEW totals AS SELECT sum(a) AS total, sum(b) AS total FROM ledger;`,
    rules: ['ban-duplicate-column-assignments'],
  },
  {
    name: 'view of two unnamed expressions (both ?column?)',
    source: 'PostgreSQL SELECT docs (output column names)',
    sql: `CREATE VIEW flags AS SELECT a > 0, b > 0 FROM ledger;`,
    rules: ['ban-duplicate-column-assignments'],
  },
  {
    name: 'view whose aliases rename duplicate outputs',
    source: 'PostgreSQL CREATE VIEW docs',
    sql: `CREATE VIEW flags (a_positive, b_positive) AS SELECT a > 0, b > 0 FROM ledger;\nCREATE VIEW named AS SELECT l.id, m.id AS m_id, count(*) FROM ledger l JOIN moves m ON m.ledger = l.id GROUP BY 1, 2;`,
    rules: [],
  },
  {
    name: 'select into a table with duplicate columns',
    source: 'PostgreSQL SELECT INTO docs',
    sql: `SELECT id, id INTO users_copy FROM users;`,
    rules: ['ban-duplicate-column-assignments'],
  },
  {
    name: 'new enum value used in the same transaction',
    source: 'PostgreSQL ALTER TYPE notes',
    sql: `ALTER TYPE order_state ADD VALUE 'refunded' AFTER 'paid';\nUPDATE orders SET state = 'refunded' WHERE refunded_at IS NOT NULL;`,
    rules: ['new-enum-value-in-transaction'],
  },
  {
    name: 'new enum value used after a COMMIT',
    source: 'PostgreSQL ALTER TYPE notes',
    sql: `BEGIN;\nALTER TYPE order_state ADD VALUE 'refunded' AFTER 'paid';\nCOMMIT;\nUPDATE orders SET state = 'refunded' WHERE refunded_at IS NOT NULL;`,
    assumeInTransaction: false,
    rules: [],
  },
  {
    name: 'enum created in the same transaction',
    source: 'PostgreSQL ALTER TYPE notes',
    sql: `CREATE TYPE ticket_state AS ENUM ('open');\nALTER TYPE ticket_state ADD VALUE 'closed' AFTER 'open';\nCREATE TABLE tickets (id bigint PRIMARY KEY, state ticket_state NOT NULL DEFAULT 'closed');`,
    rules: [],
  },
  // robustness and style rules are warnings, never blocking
  {
    name: 'prefer-robust-stmts outside a transaction',
    source: `${SQ} prefer-robust-stmts`,
    sql: `CREATE INDEX CONCURRENTLY users_email_idx ON users (email);`,
    assumeInTransaction: false,
    rules: [],
    warnings: ['prefer-robust-stmts'],
  },
  {
    name: 'robust statements',
    source: `${SQ} prefer-robust-stmts`,
    sql: `CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email);`,
    assumeInTransaction: false,
    rules: [],
  },
  {
    name: 'style rules on a new table',
    source: `${SQ} prefer-text-field, ban-char-field, prefer-timestamptz, prefer-bigint-over-int, prefer-identity`,
    sql: `CREATE TABLE IF NOT EXISTS app_users (id serial PRIMARY KEY, code char(4), name varchar(100), born timestamp, props json);`,
    rules: [],
    warnings: [
      'prefer-identity',
      'ban-char-field',
      'prefer-text-field',
      'prefer-timestamp-tz',
      'prefer-jsonb',
      'prefer-bigint-over-int',
    ],
  },
  {
    name: 'uncommitted transaction',
    source: `${SQ} ban-uncommitted-transaction`,
    sql: `BEGIN;\nCREATE TABLE IF NOT EXISTS notes (id bigint);`,
    assumeInTransaction: false,
    rules: [],
    warnings: ['ban-uncommitted-transaction'],
  },
  {
    name: 'smallint column',
    source: `${SQ} prefer-bigint-over-smallint`,
    sql: `CREATE TABLE IF NOT EXISTS ratings (id bigint, stars smallint);`,
    rules: [],
    warnings: ['prefer-bigint-over-smallint'],
  },
  {
    name: 'no lock_timeout before DDL on an existing table',
    source: `${SQ} require-timeout-settings`,
    sql: `ALTER TABLE ratings ADD COLUMN note text;`,
    rules: [],
    warnings: ['require-lock-timeout'],
  },
  {
    name: 'lock_timeout set first',
    source: `${SQ} require-timeout-settings`,
    sql: `SET lock_timeout = '1s';\nSET statement_timeout = '5s';\nALTER TABLE ratings ADD COLUMN note text;`,
    rules: [],
  },
  {
    name: 'transaction nesting',
    source: `${SQ} transaction-nesting`,
    sql: `BEGIN;\nBEGIN;\nSELECT 1;\nCOMMIT;`,
    assumeInTransaction: false,
    rules: [],
    warnings: ['transaction-nesting'],
  },
];

async function errorsOf(c: HeldOutCase) {
  const options = {
    assumeInTransaction: c.assumeInTransaction ?? true,
    ...(c.postgresVersion ? { postgresVersion: c.postgresVersion } : {}),
  };
  const files = [...(c.history ?? []), c.sql].map((sql, i) => ({ sql, file: `${i}.sql` }));
  const results = await lintMigrationHistory(files, options);
  return results[results.length - 1]!.findings;
}

describe('held-out lint cases from the rule documentation', () => {
  it('every rule it names exists, and every rule has a case', () => {
    const named = new Set(HELD_OUT.flatMap((c) => [...c.rules, ...(c.warnings ?? [])]));
    for (const r of named) expect(LINT_RULES[r], r).toBeDefined();
    expect(Object.keys(LINT_RULES).filter((r) => !named.has(r))).toEqual([]);
  });

  it('matches each documented verdict; prints precision and recall', async () => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    let tn = 0;
    const wrong: string[] = [];
    for (const c of HELD_OUT) {
      const findings = await errorsOf(c);
      const errors = [...new Set(findings.filter((f) => f.severity === 'error').map((f) => f.rule))];
      const warnings = new Set(findings.filter((f) => f.severity === 'warning').map((f) => f.rule));
      const unsafe = c.rules.length > 0;
      const flagged = errors.length > 0;
      if (flagged && unsafe) tp++;
      else if (flagged) fp++;
      else if (unsafe) fn++;
      else tn++;
      const missingWarnings = (c.warnings ?? []).filter((w) => !warnings.has(w));
      if ([...errors].sort().join() !== [...c.rules].sort().join() || missingWarnings.length > 0)
        wrong.push(
          `${c.name} (${c.source}): expected [${c.rules.join(', ')}]${c.warnings ? ` + warnings [${c.warnings.join(', ')}]` : ''}, got [${errors.join(', ')}] + warnings [${[...warnings].join(', ')}]`,
        );
    }
    console.log(
      `held-out lint cases: ${HELD_OUT.length}, ${tp + fn} unsafe; precision ${((tp / (tp + fp)) * 100).toFixed(1)}%, recall ${((tp / (tp + fn)) * 100).toFixed(1)}% (tp ${tp}, fp ${fp}, fn ${fn}, tn ${tn}); exact rule sets ${HELD_OUT.length - wrong.length}/${HELD_OUT.length}${wrong.length ? `\n  ${wrong.join('\n  ')}` : ''}`,
    );
    expect(wrong).toEqual([]);
  });

  it('keeps the case of quoted identifiers in messages', async () => {
    const { findings } = await lintMigration(
      'ALTER TABLE "public"."Document" RENAME COLUMN "Signature" TO "signedBy";\nCREATE INDEX "Doc_idx" ON "Document"("ownerId");',
      'm.sql',
    );
    expect(findings.filter((f) => f.severity === 'error').map((f) => f.message)).toEqual([
      'Renaming column "Signature" of "public"."Document" to "signedBy".',
      'CREATE INDEX on existing table "Document" without CONCURRENTLY blocks writes while it builds.',
    ]);
  });
});
