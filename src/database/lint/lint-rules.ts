/** What each lint rule means: ids follow squawk's names so users recognize them. */
export interface LintRuleInfo {
  readonly id: string;
  readonly severity: 'error' | 'warning';
  /** The lock the statement takes, and so what it blocks while it runs. */
  readonly lock: string;
  /** The safe way to get the same result. */
  readonly safer: string;
}

const ACCESS_EXCLUSIVE = 'ACCESS EXCLUSIVE (blocks reads and writes)';
const SHARE = 'SHARE (blocks writes: INSERT, UPDATE, DELETE)';
const SHARE_ROW_EXCLUSIVE = 'SHARE ROW EXCLUSIVE on both tables (blocks writes)';

export const LINT_RULES: Readonly<Record<string, LintRuleInfo>> = Object.freeze({
  'require-concurrent-index-creation': {
    id: 'require-concurrent-index-creation',
    severity: 'error',
    lock: `${SHARE} for the whole index build`,
    safer: 'CREATE INDEX CONCURRENTLY, alone in its own migration (it cannot run in a transaction).',
  },
  'require-concurrent-index-deletion': {
    id: 'require-concurrent-index-deletion',
    severity: 'error',
    lock: ACCESS_EXCLUSIVE,
    safer: 'DROP INDEX CONCURRENTLY, alone in its own migration.',
  },
  'ban-concurrent-index-creation-in-transaction': {
    id: 'ban-concurrent-index-creation-in-transaction',
    severity: 'error',
    lock: 'none: the statement fails ("cannot run inside a transaction block")',
    safer:
      'Put the CONCURRENTLY statement alone in its own migration file, without BEGIN/COMMIT (a multi-statement file runs as one transaction).',
  },
  'adding-field-with-default': {
    id: 'adding-field-with-default',
    severity: 'error',
    lock: `${ACCESS_EXCLUSIVE} while every row is rewritten`,
    safer:
      'Add the column without a default (or with a constant one), then backfill in batches and set the default afterwards.',
  },
  'adding-required-field': {
    id: 'adding-required-field',
    severity: 'error',
    lock: ACCESS_EXCLUSIVE,
    safer:
      'Fails on a non-empty table. Add the column nullable or with a constant DEFAULT, backfill, then enforce NOT NULL.',
  },
  'adding-not-nullable-field': {
    id: 'adding-not-nullable-field',
    severity: 'error',
    lock: `${ACCESS_EXCLUSIVE} during a full table scan`,
    safer:
      'ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID; VALIDATE CONSTRAINT c in a later migration; then SET NOT NULL (PG12+ skips the scan) and drop c.',
  },
  'constraint-missing-not-valid': {
    id: 'constraint-missing-not-valid',
    severity: 'error',
    lock: `${ACCESS_EXCLUSIVE} (CHECK) or ${SHARE_ROW_EXCLUSIVE} (FOREIGN KEY) while every row is checked`,
    safer:
      'ADD CONSTRAINT … NOT VALID, then VALIDATE CONSTRAINT in a separate migration (a separate transaction).',
  },
  'adding-foreign-key-constraint': {
    id: 'adding-foreign-key-constraint',
    severity: 'error',
    lock: `${SHARE_ROW_EXCLUSIVE} while every row is checked`,
    safer: 'ADD CONSTRAINT … FOREIGN KEY … NOT VALID, then VALIDATE CONSTRAINT in a separate migration.',
  },
  'disallowed-unique-constraint': {
    id: 'disallowed-unique-constraint',
    severity: 'error',
    lock: `${ACCESS_EXCLUSIVE} while the unique index is built`,
    safer: 'CREATE UNIQUE INDEX CONCURRENTLY in its own migration, then ADD CONSTRAINT … UNIQUE USING INDEX.',
  },
  'adding-serial-primary-key-field': {
    id: 'adding-serial-primary-key-field',
    severity: 'error',
    lock: `${ACCESS_EXCLUSIVE} while the index is built`,
    safer:
      'CREATE UNIQUE INDEX CONCURRENTLY in its own migration, then ADD CONSTRAINT … PRIMARY KEY USING INDEX.',
  },
  'changing-column-type': {
    id: 'changing-column-type',
    severity: 'error',
    lock: `${ACCESS_EXCLUSIVE}, usually with a full rewrite and index rebuild`,
    safer: 'Add a new column, backfill it in batches, switch the application, then drop the old column.',
  },
  'renaming-column': {
    id: 'renaming-column',
    severity: 'error',
    lock: `${ACCESS_EXCLUSIVE} (brief), but running application versions break`,
    safer: 'Add the new column, write both, backfill, move readers, then drop the old one (expand/contract).',
  },
  'renaming-table': {
    id: 'renaming-table',
    severity: 'error',
    lock: `${ACCESS_EXCLUSIVE} (brief), but running application versions break`,
    safer:
      'Create the new table (or a view with the new name), move readers and writers, then drop the old one.',
  },
  'ban-drop-column': {
    id: 'ban-drop-column',
    severity: 'error',
    lock: `${ACCESS_EXCLUSIVE} (brief); data is lost and running versions that read it break`,
    safer:
      'Stop reading and writing the column in a deploy first; drop it in a later migration with a backup.',
  },
  'ban-drop-table': {
    id: 'ban-drop-table',
    severity: 'error',
    lock: `${ACCESS_EXCLUSIVE}; data is lost`,
    safer:
      'Stop using the table in a deploy first; rename it aside or drop it later, after a verified backup.',
  },
  'ban-drop-database': {
    id: 'ban-drop-database',
    severity: 'error',
    lock: 'exclusive use of the database; everything in it is lost',
    safer: 'Never from a migration. Do it by hand on a scratch server, never on a shared environment.',
  },
  'ban-truncate-cascade': {
    id: 'ban-truncate-cascade',
    severity: 'error',
    lock: `${ACCESS_EXCLUSIVE} on every table reached by foreign keys; their data is lost`,
    safer: 'TRUNCATE the tables you mean by name, without CASCADE.',
  },
  'require-concurrent-partition-detach': {
    id: 'require-concurrent-partition-detach',
    severity: 'error',
    lock: `${ACCESS_EXCLUSIVE} on the parent table`,
    safer: 'ALTER TABLE … DETACH PARTITION … CONCURRENTLY, alone in its own migration.',
  },
  'require-concurrent-reindex': {
    id: 'require-concurrent-reindex',
    severity: 'error',
    lock: `${SHARE} on the table and ${ACCESS_EXCLUSIVE} on the index`,
    safer: 'REINDEX … CONCURRENTLY, alone in its own migration.',
  },
  'ban-alter-domain-with-add-constraint': {
    id: 'ban-alter-domain-with-add-constraint',
    severity: 'error',
    lock: 'SHARE on every table using the domain while all of them are scanned',
    safer: 'Add the constraint NOT VALID, then VALIDATE it separately; or put CHECKs on the columns instead.',
  },
  'require-enum-value-ordering': {
    id: 'require-enum-value-ordering',
    severity: 'warning',
    lock: 'ACCESS EXCLUSIVE on the type (brief)',
    safer:
      "Say where the value goes: ALTER TYPE … ADD VALUE 'x' BEFORE|AFTER 'y', so sort order is intended.",
  },
  'require-lock-timeout': {
    id: 'require-lock-timeout',
    severity: 'warning',
    lock: 'a DDL statement waiting for its lock queues every query behind it',
    safer:
      "SET lock_timeout = '5s'; at the top of the migration (prodguard migrate deploy sets it from config; prisma migrate deploy does not).",
  },
  'prefer-text-field': {
    id: 'prefer-text-field',
    severity: 'warning',
    lock: 'changing the length later takes ACCESS EXCLUSIVE with a rewrite',
    safer: 'Use text with a CHECK (char_length(col) <= n) constraint, which can be changed NOT VALID.',
  },
  'prefer-timestamp-tz': {
    id: 'prefer-timestamp-tz',
    severity: 'warning',
    lock: 'none; but values lose their time zone and converting later rewrites the table',
    safer: 'Use timestamptz (Prisma: @db.Timestamptz(3)).',
  },
  'prefer-bigint-over-int': {
    id: 'prefer-bigint-over-int',
    severity: 'warning',
    lock: 'none now; widening the id later rewrites the table and every referencing one',
    safer: 'Use bigint / bigserial (Prisma: BigInt) or uuid for ids.',
  },
});

export type LintRuleId = keyof typeof LINT_RULES;
