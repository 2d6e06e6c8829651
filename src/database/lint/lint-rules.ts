/** What each lint rule means: ids follow squawk's names so users recognize them. */
export interface LintRuleInfo {
  readonly id: string;
  /** error: unsafe on a populated, in-use table (blocks the migration check); warning: style or robustness. */
  readonly severity: 'error' | 'warning';
  /** One line: what the rule flags. */
  readonly flags: string;
  /** The lock the statement takes, and so what it blocks while it runs. */
  readonly lock: string;
  /** The safe way to get the same result. */
  readonly safer: string;
  /** Where the rule's semantics come from (squawk rule page, strong_migrations section, PostgreSQL docs). */
  readonly sources: readonly string[];
}

const ACCESS_EXCLUSIVE = 'ACCESS EXCLUSIVE (blocks reads and writes)';
const SHARE = 'SHARE (blocks writes: INSERT, UPDATE, DELETE)';
const SHARE_ROW_EXCLUSIVE = 'SHARE ROW EXCLUSIVE on both tables (blocks writes)';

const squawk = (id: string) => `https://squawkhq.com/docs/${id}`;
const strong = (anchor: string) => `https://github.com/ankane/strong_migrations#${anchor}`;
const pg = (page: string) => `https://www.postgresql.org/docs/15/${page}`;

const rules: readonly LintRuleInfo[] = [
  {
    id: 'require-concurrent-index-creation',
    severity: 'error',
    flags: 'CREATE INDEX without CONCURRENTLY on a table that already exists',
    lock: `${SHARE} for the whole index build`,
    safer: 'CREATE INDEX CONCURRENTLY, alone in its own migration (it cannot run in a transaction).',
    sources: [
      squawk('require-concurrent-index-creation'),
      strong('adding-an-index-non-concurrently'),
      pg('sql-createindex.html'),
    ],
  },
  {
    id: 'require-concurrent-index-deletion',
    severity: 'error',
    flags: 'DROP INDEX without CONCURRENTLY',
    lock: `${ACCESS_EXCLUSIVE} on the table`,
    safer: 'DROP INDEX CONCURRENTLY, alone in its own migration.',
    sources: [squawk('require-concurrent-index-deletion'), pg('sql-dropindex.html')],
  },
  {
    id: 'ban-concurrent-index-creation-in-transaction',
    severity: 'error',
    flags:
      'CREATE/DROP INDEX, REINDEX or DETACH PARTITION … CONCURRENTLY inside a transaction (BEGIN, or a multi-statement file sent as one query)',
    lock: 'none: the statement fails ("cannot run inside a transaction block")',
    safer:
      'Put the CONCURRENTLY statement alone in its own migration file, without BEGIN/COMMIT (a multi-statement file runs as one transaction).',
    sources: [
      squawk('ban-concurrent-index-creation-in-transaction'),
      pg('sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY'),
    ],
  },
  {
    id: 'adding-field-with-default',
    severity: 'error',
    flags:
      'ADD COLUMN whose DEFAULT is volatile (a function not known to be IMMUTABLE/STABLE), a STORED generated column, or an auto-filled serial/identity column',
    lock: `${ACCESS_EXCLUSIVE} while every row is rewritten`,
    safer:
      'Add the column without a default (or with a constant one), then SET DEFAULT and backfill in batches; use a trigger instead of a stored generated column.',
    sources: [
      squawk('adding-field-with-default'),
      strong('adding-a-column-with-a-volatile-default-value'),
      strong('adding-a-stored-generated-column'),
      strong('adding-an-auto-incrementing-column'),
      pg('ddl-alter.html#DDL-ALTER-ADDING-A-COLUMN'),
    ],
  },
  {
    id: 'adding-required-field',
    severity: 'error',
    flags:
      'ADD COLUMN … NOT NULL without a DEFAULT, or NOT NULL enforced (SET NOT NULL, VALIDATE of a CHECK … IS NOT NULL) on a column the same migration added without a DEFAULT and never filled: fails on a table that has rows',
    lock: ACCESS_EXCLUSIVE,
    safer: 'Add the column nullable or with a constant DEFAULT, backfill, then enforce NOT NULL.',
    sources: [squawk('adding-required-field')],
  },
  {
    id: 'adding-not-nullable-field',
    severity: 'error',
    flags: 'ALTER COLUMN … SET NOT NULL without a validated CHECK (col IS NOT NULL) on that column',
    lock: `${ACCESS_EXCLUSIVE} during a full table scan`,
    safer:
      'ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID; VALIDATE CONSTRAINT c in a later migration; then SET NOT NULL (PG12+ skips the scan) and drop c.',
    sources: [
      squawk('adding-not-nullable-field'),
      strong('setting-not-null-on-an-existing-column'),
      pg('sql-altertable.html'),
    ],
  },
  {
    id: 'constraint-missing-not-valid',
    severity: 'error',
    flags:
      'ADD CONSTRAINT CHECK/FOREIGN KEY without NOT VALID on an existing table, a CHECK on an added column, or VALIDATE in the same transaction as its NOT VALID',
    lock: `${ACCESS_EXCLUSIVE} (CHECK) or ${SHARE_ROW_EXCLUSIVE} (FOREIGN KEY) while every row is checked`,
    safer:
      'ADD CONSTRAINT … NOT VALID, then VALIDATE CONSTRAINT in a separate migration (a separate transaction).',
    sources: [
      squawk('constraint-missing-not-valid'),
      strong('adding-a-check-constraint'),
      pg('sql-altertable.html#SQL-ALTERTABLE-NOTES'),
    ],
  },
  {
    id: 'adding-foreign-key-constraint',
    severity: 'error',
    flags: 'FOREIGN KEY (or REFERENCES on an added column) validated at once on an existing table',
    lock: `${SHARE_ROW_EXCLUSIVE} while every row is checked`,
    safer: 'ADD CONSTRAINT … FOREIGN KEY … NOT VALID, then VALIDATE CONSTRAINT in a separate migration.',
    sources: [
      squawk('adding-foreign-key-constraint'),
      strong('adding-a-foreign-key'),
      strong('adding-a-reference'),
    ],
  },
  {
    id: 'disallowed-unique-constraint',
    severity: 'error',
    flags: 'ADD UNIQUE constraint (or a UNIQUE added column) that builds its index under the table lock',
    lock: `${ACCESS_EXCLUSIVE} while the unique index is built`,
    safer: 'CREATE UNIQUE INDEX CONCURRENTLY in its own migration, then ADD CONSTRAINT … UNIQUE USING INDEX.',
    sources: [squawk('disallowed-unique-constraint'), strong('adding-a-unique-constraint')],
  },
  {
    id: 'adding-serial-primary-key-field',
    severity: 'error',
    flags: 'ADD PRIMARY KEY (constraint or column) that builds its index under the table lock',
    lock: `${ACCESS_EXCLUSIVE} while the index is built`,
    safer:
      'CREATE UNIQUE INDEX CONCURRENTLY in its own migration, then ADD CONSTRAINT … PRIMARY KEY USING INDEX.',
    sources: [squawk('adding-serial-primary-key-field'), strong('adding-an-auto-incrementing-column')],
  },
  {
    id: 'adding-exclusion-constraint',
    severity: 'error',
    flags: 'ADD CONSTRAINT … EXCLUDE on an existing table (cannot be NOT VALID)',
    lock: `${ACCESS_EXCLUSIVE} while every row is checked and the index is built`,
    safer: 'Create the table with the constraint, or enforce it another way; there is no online path.',
    sources: [strong('adding-an-exclusion-constraint'), pg('sql-altertable.html')],
  },
  {
    id: 'changing-column-type',
    severity: 'error',
    flags:
      'ALTER COLUMN … TYPE, unless the change is known to be binary coercible (varchar growth, varchar → text, numeric precision growth, cidr → inet, …)',
    lock: `${ACCESS_EXCLUSIVE}, usually with a full rewrite and index rebuild`,
    safer: 'Add a new column, backfill it in batches, switch the application, then drop the old column.',
    sources: [
      squawk('changing-column-type'),
      strong('changing-the-type-of-a-column'),
      pg('sql-altertable.html#SQL-ALTERTABLE-NOTES'),
    ],
  },
  {
    id: 'rewriting-table',
    severity: 'error',
    flags:
      'ALTER TABLE … SET LOGGED / SET UNLOGGED / SET TABLESPACE / SET ACCESS METHOD on an existing table',
    lock: `${ACCESS_EXCLUSIVE} while the whole table is copied`,
    safer: 'Do it in a maintenance window, or build a new table and switch over.',
    sources: [pg('sql-altertable.html')],
  },
  {
    id: 'prefer-repack',
    severity: 'error',
    flags: 'VACUUM FULL or CLUSTER',
    lock: `${ACCESS_EXCLUSIVE} while the whole table is rewritten`,
    safer: 'Plain VACUUM, or pg_repack / REPACK (CONCURRENTLY) where available.',
    sources: [squawk('prefer-repack'), pg('sql-vacuum.html'), pg('sql-cluster.html')],
  },
  {
    id: 'renaming-column',
    severity: 'error',
    flags: 'RENAME COLUMN on an existing table',
    lock: `${ACCESS_EXCLUSIVE} (brief), but running application versions break`,
    safer: 'Add the new column, write both, backfill, move readers, then drop the old one (expand/contract).',
    sources: [squawk('renaming-column'), strong('renaming-a-column')],
  },
  {
    id: 'renaming-table',
    severity: 'error',
    flags: 'RENAME of an existing table',
    lock: `${ACCESS_EXCLUSIVE} (brief), but running application versions break`,
    safer:
      'Create the new table (or a view with the new name), move readers and writers, then drop the old one.',
    sources: [squawk('renaming-table'), strong('renaming-a-table')],
  },
  {
    id: 'renaming-enum-value',
    severity: 'error',
    flags: 'ALTER TYPE … RENAME VALUE',
    lock: 'brief; running application versions that send the old value fail',
    safer: 'Add the new value, make the application accept both and write the new one, then backfill.',
    sources: [strong('renaming-an-enum-value')],
  },
  {
    id: 'renaming-schema',
    severity: 'error',
    flags: 'ALTER SCHEMA … RENAME',
    lock: 'brief; every running query that names the schema fails',
    safer: 'Create the new schema, write to both, backfill, move readers, then drop the old one.',
    sources: [strong('renaming-a-schema')],
  },
  {
    id: 'ban-drop-column',
    severity: 'error',
    flags: 'DROP COLUMN on an existing table',
    lock: `${ACCESS_EXCLUSIVE} (brief); data is lost and running versions that read it break`,
    safer:
      'Stop reading and writing the column in a deploy first; drop it in a later migration with a backup.',
    sources: [squawk('ban-drop-column'), strong('removing-a-column')],
  },
  {
    id: 'ban-drop-table',
    severity: 'error',
    flags: 'DROP TABLE of a table not created in the same migration',
    lock: `${ACCESS_EXCLUSIVE}; data is lost`,
    safer:
      'Stop using the table in a deploy first; rename it aside or drop it later, after a verified backup.',
    sources: [squawk('ban-drop-table'), strong('creating-a-table-with-the-force-option')],
  },
  {
    id: 'ban-drop-database',
    severity: 'error',
    flags: 'DROP DATABASE',
    lock: 'exclusive use of the database; everything in it is lost',
    safer: 'Never from a migration. Do it by hand on a scratch server, never on a shared environment.',
    sources: [squawk('ban-drop-database')],
  },
  {
    id: 'ban-truncate-cascade',
    severity: 'error',
    flags: 'TRUNCATE … CASCADE',
    lock: `${ACCESS_EXCLUSIVE} on every table reached by foreign keys; their data is lost`,
    safer: 'TRUNCATE the tables you mean by name, without CASCADE.',
    sources: [squawk('ban-truncate-cascade'), pg('sql-truncate.html')],
  },
  {
    id: 'ban-drop-cascade',
    severity: 'error',
    flags:
      'DROP … CASCADE of a schema, type, domain, extension, function, sequence, view or other object (tables have ban-drop-table)',
    lock: `${ACCESS_EXCLUSIVE} on everything dropped with it; tables and columns that depend on it are lost with their data`,
    safer:
      'Drop the dependent objects by name first, each in a reviewed migration, then drop the object without CASCADE (it fails while anything still depends on it).',
    sources: [pg('sql-dropschema.html'), pg('sql-droptype.html'), pg('ddl-depend.html')],
  },
  {
    id: 'ban-truncate',
    severity: 'error',
    flags: 'TRUNCATE of a table not created in the same migration',
    lock: `${ACCESS_EXCLUSIVE}; every row is lost`,
    safer:
      'Delete the rows you mean in batches (DELETE … WHERE), or keep the data: take a verified backup and mark the exception with a reason.',
    sources: [pg('sql-truncate.html')],
  },
  {
    id: 'require-concurrent-partition-detach',
    severity: 'error',
    flags: 'DETACH PARTITION without CONCURRENTLY',
    lock: `${ACCESS_EXCLUSIVE} on the parent table`,
    safer: 'ALTER TABLE … DETACH PARTITION … CONCURRENTLY, alone in its own migration.',
    sources: [squawk('require-concurrent-partition-detach'), pg('sql-altertable.html')],
  },
  {
    id: 'require-concurrent-reindex',
    severity: 'error',
    flags: 'REINDEX INDEX/TABLE/SCHEMA/DATABASE without CONCURRENTLY',
    lock: `${SHARE} on the table and ${ACCESS_EXCLUSIVE} on the index`,
    safer: 'REINDEX … CONCURRENTLY, alone in its own migration.',
    sources: [squawk('require-concurrent-reindex'), pg('sql-reindex.html')],
  },
  {
    id: 'ban-alter-domain-with-add-constraint',
    severity: 'error',
    flags: 'ALTER DOMAIN … ADD CONSTRAINT without NOT VALID',
    lock: 'SHARE on every table using the domain while all of them are scanned',
    safer:
      'Put CHECK constraints on the columns instead (NOT VALID, then VALIDATE). On a domain, NOT VALID skips the check, but VALIDATE still blocks writes before PostgreSQL 19.',
    sources: [squawk('ban-alter-domain-with-add-constraint'), pg('sql-alterdomain.html')],
  },
  {
    id: 'alter-domain-scan',
    severity: 'error',
    flags: 'ALTER DOMAIN … SET NOT NULL, and ALTER DOMAIN … VALIDATE CONSTRAINT before PostgreSQL 19',
    lock: 'SHARE on every table using the domain while all of them are scanned',
    safer:
      'Put the constraint on the columns instead: CHECK (col IS NOT NULL) NOT VALID, VALIDATE, then SET NOT NULL on the table.',
    sources: [
      pg('sql-alterdomain.html'),
      'https://git.postgresql.org/pg/commitdiff/16a0039dc0d1d0cdfadaf38cd3a30f3c8f590c48',
    ],
  },
  {
    id: 'backfill-in-ddl-transaction',
    severity: 'error',
    flags: 'UPDATE/DELETE of a table in the same transaction as a DDL statement that locked it',
    lock: `the DDL's ${ACCESS_EXCLUSIVE} is held for the whole backfill`,
    safer: 'Backfill in its own migration (or a script), in batches, outside the DDL transaction.',
    sources: [strong('backfilling-data')],
  },
  {
    id: 'unbatched-backfill',
    severity: 'error',
    flags:
      'UPDATE or DELETE without WHERE on an existing table (every row rewritten or removed in one statement)',
    lock: 'row locks on every row until the statement ends: concurrent writes to any of them wait',
    safer: 'Backfill in batches (WHERE id BETWEEN …), throttled, outside the DDL transaction.',
    sources: [strong('backfilling-data')],
  },
  {
    id: 'new-enum-value-in-transaction',
    severity: 'error',
    flags: 'An enum value used in the same transaction as the ALTER TYPE … ADD VALUE that adds it',
    lock: 'none: the statement fails ("unsafe use of new value")',
    safer: 'Add the enum value in its own migration; use it in a later one.',
    sources: [pg('sql-altertype.html')],
  },
  {
    id: 'ban-duplicate-column-assignments',
    severity: 'error',
    flags:
      'A column declared, named or assigned twice in one statement (CREATE TABLE, CREATE VIEW, CREATE TABLE AS, SELECT INTO, INSERT, UPDATE, ON CONFLICT DO UPDATE, MERGE): it fails at run time',
    lock: 'none: the statement fails',
    safer: 'Declare or assign each column once.',
    sources: [squawk('ban-duplicate-column-assignments')],
  },
  {
    id: 'ban-drop-not-null',
    severity: 'warning',
    flags: 'ALTER COLUMN … DROP NOT NULL',
    lock: 'brief ACCESS EXCLUSIVE, no scan; but readers that assume the column is never NULL may break',
    safer: 'Make sure every running reader handles NULL first (expand/contract), or use a marker value.',
    sources: [squawk('ban-drop-not-null')],
  },
  {
    id: 'ban-create-domain-with-constraint',
    severity: 'warning',
    flags: 'CREATE DOMAIN with a CHECK or NOT NULL constraint',
    lock: 'none now; every later change to the constraint re-checks every column of that type',
    safer: 'Put the constraint on the columns instead of the domain.',
    sources: [squawk('ban-create-domain-with-constraint'), pg('sql-createdomain.html')],
  },
  {
    id: 'require-enum-value-ordering',
    severity: 'warning',
    flags: 'ALTER TYPE … ADD VALUE without BEFORE/AFTER',
    lock: 'ACCESS EXCLUSIVE on the type (brief)',
    safer:
      "Say where the value goes: ALTER TYPE … ADD VALUE 'x' BEFORE|AFTER 'y', so sort order is intended.",
    sources: [squawk('require-enum-value-ordering')],
  },
  {
    id: 'require-lock-timeout',
    severity: 'warning',
    flags: 'A statement taking a strong lock on an existing table with no SET lock_timeout before it',
    lock: 'a DDL statement waiting for its lock queues every query behind it',
    safer:
      "SET lock_timeout = '5s'; at the top of the migration (prodguard migrate deploy sets it from config; prisma migrate deploy does not).",
    sources: [
      squawk('require-timeout-settings'),
      squawk('require-lock-timeout'),
      pg('runtime-config-client.html#GUC-LOCK-TIMEOUT'),
    ],
  },
  {
    id: 'prefer-robust-stmts',
    severity: 'warning',
    flags:
      'Outside a transaction: CREATE TABLE/INDEX without IF NOT EXISTS, DROP TABLE/INDEX/TYPE or DROP COLUMN/CONSTRAINT without IF EXISTS, ADD COLUMN without IF NOT EXISTS, other ALTER TABLE actions; CREATE INDEX CONCURRENTLY without IF NOT EXISTS',
    lock: 'none; a migration that fails part way cannot be re-run',
    safer: 'Use IF [NOT] EXISTS guards, or run the statements in one transaction.',
    sources: [squawk('prefer-robust-stmts')],
  },
  {
    id: 'transaction-nesting',
    severity: 'warning',
    flags:
      'BEGIN inside an open transaction, COMMIT/ROLLBACK with none open, or transaction control in a file the tool already wraps in one',
    lock: 'none; the tool loses track of what was applied',
    safer: 'Remove the BEGIN/COMMIT, or split each transaction into its own file.',
    sources: [squawk('transaction-nesting')],
  },
  {
    id: 'ban-uncommitted-transaction',
    severity: 'warning',
    flags: 'BEGIN without a matching COMMIT or ROLLBACK',
    lock: 'whatever the open transaction holds, until the session ends',
    safer: 'End the transaction with COMMIT.',
    sources: [squawk('ban-uncommitted-transaction')],
  },
  {
    id: 'prefer-text-field',
    severity: 'warning',
    flags: 'varchar(n) columns',
    lock: 'shrinking n later takes ACCESS EXCLUSIVE with a rewrite',
    safer: 'Use text with a CHECK (char_length(col) <= n) constraint, which can be changed NOT VALID.',
    sources: [squawk('prefer-text-field')],
  },
  {
    id: 'ban-char-field',
    severity: 'warning',
    flags: 'char(n) / character columns',
    lock: 'none; blank-padded, slower and larger than text',
    safer: 'Use text or varchar.',
    sources: [squawk('ban-char-field'), pg('datatype-character.html')],
  },
  {
    id: 'prefer-timestamp-tz',
    severity: 'warning',
    flags: 'timestamp without time zone columns',
    lock: 'none; but values lose their time zone and converting later rewrites the table',
    safer: 'Use timestamptz (Prisma: @db.Timestamptz(3)).',
    sources: [squawk('prefer-timestamptz')],
  },
  {
    id: 'prefer-bigint-over-int',
    severity: 'warning',
    flags: 'int/integer/serial columns',
    lock: 'none now; widening later rewrites the table and every referencing one',
    safer: 'Use bigint / bigserial (Prisma: BigInt) or uuid for ids.',
    sources: [squawk('prefer-bigint-over-int')],
  },
  {
    id: 'prefer-bigint-over-smallint',
    severity: 'warning',
    flags: 'smallint/smallserial columns',
    lock: 'none now; widening later rewrites the table',
    safer: 'Use bigint.',
    sources: [squawk('prefer-bigint-over-smallint')],
  },
  {
    id: 'prefer-identity',
    severity: 'warning',
    flags: 'serial/bigserial/smallserial columns',
    lock: 'none; serial sequences complicate permissions and copies',
    safer: 'Use bigint GENERATED BY DEFAULT AS IDENTITY.',
    sources: [squawk('prefer-identity')],
  },
  {
    id: 'prefer-jsonb',
    severity: 'warning',
    flags: 'json columns',
    lock: 'none; json has no equality operator, so SELECT DISTINCT and UNION on the table fail',
    safer: 'Use jsonb.',
    sources: [strong('adding-a-json-column')],
  },
];

export const LINT_RULES: Readonly<Record<string, LintRuleInfo>> = Object.freeze(
  Object.fromEntries(rules.map((rule) => [rule.id, Object.freeze(rule)])),
);

export type LintRuleId = keyof typeof LINT_RULES;

/** squawk's other names for the same checks, accepted in ignore comments. */
export const LINT_RULE_ALIASES: Readonly<Record<string, readonly string[]>> = Object.freeze({
  'require-timeout-settings': ['require-lock-timeout'],
  'prefer-timestamptz': ['prefer-timestamp-tz'],
});
