import { z } from 'zod';
import { durationOr } from '../fields.js';

/**
 * The `database` key (top level) and each environment's `database` key.
 * Owned by the migrations domain (src/database).
 */
export const databaseConfigSchema = z
  .object({
    migrations: z
      .union([
        z.string(),
        z
          .object({
            tool: z
              .enum(['prisma', 'knex', 'node-pg-migrate', 'sql-folder', 'command'])
              .describe(
                "The project's migration tool. prisma and sql-folder are applied by prodguard itself; knex, node-pg-migrate and command run the project's own tool under the same guards.",
              ),
            dir: z
              .string()
              .optional()
              .describe(
                'Folder of migration files, relative to prodguard.yaml (default: prisma/migrations for prisma, migrations otherwise).',
              ),
            command: z
              .array(z.string().min(1))
              .min(1)
              .optional()
              .describe(
                'The command that applies pending migrations, as argv (it reads DATABASE_URL). Default: node_modules/.bin/knex migrate:latest, node_modules/.bin/node-pg-migrate up. Required for tool: command.',
              ),
            dryRun: z
              .array(z.string().min(1))
              .min(1)
              .optional()
              .describe(
                'A command printing the SQL the apply command would run, linted before protected environments (default for node-pg-migrate: up --dry-run).',
              ),
            table: z
              .string()
              .regex(/^[a-z_][a-z0-9_]*$/)
              .optional()
              .describe(
                "The tool's history table, read by migrate status (default: knex_migrations, pgmigrations, prodguard_sql_migrations).",
              ),
          })
          .strict(),
      ])
      .default('prisma/migrations')
      .describe(
        'Folder holding Prisma Migrate migrations (<timestamp>_<name>/migration.sql), relative to prodguard.yaml; or { tool, dir, command } for knex, node-pg-migrate, a plain SQL folder (V1__name.sql) or any command.',
      ),
    shadowUrl: z
      .string()
      .optional()
      .describe(
        'Server URL (a role allowed to CREATE DATABASE) where prodguard creates and drops scratch databases for drift and rollback checks. Omit to start an embedded PostgreSQL on demand.',
      ),
    shadowUrlEnv: z
      .string()
      .optional()
      .describe('Name of the environment variable holding shadowUrl (when it carries a password).'),
    lockTimeout: durationOr(
      'lock_timeout for each migration: a DDL statement waiting longer for its lock fails instead of queueing all traffic behind it.',
      '5s',
      { min: '100ms', max: '10m' },
    ),
    statementTimeout: durationOr('statement_timeout for each migration statement.', '10m', {
      min: '1s',
      max: '24h',
    }),
    backups: z
      .string()
      .optional()
      .describe('Folder for pg_dump backups, relative to prodguard.yaml (default: <stateDir>/backups).'),
    backupMaxAge: durationOr(
      'How old the newest verified backup may be for a production migration to skip taking a new one (0s: always take one).',
      '0s',
      { min: '0s', max: '365d' },
    ),
    readonlySecret: z
      .string()
      .regex(/^[A-Z][A-Z0-9_]{0,62}$/, { message: 'Expected a secret name such as DATABASE_URL_READONLY' })
      .default('DATABASE_URL_READONLY')
      .describe(
        'Vault secret (pinned per environment) holding the read-only role URL that `prodguard sql` uses on the final environment; `prodguard secrets setup-roles` creates the role and this secret. An environment can instead name a variable with readonlyUrlEnv.',
      )
      .meta({ default: 'DATABASE_URL_READONLY', examples: ['DATABASE_URL_READONLY'] }),
    consoleFunctions: z
      .array(
        z.string().regex(/^[a-z_][a-z0-9_$]*\.[a-z_][a-z0-9_$]*$/, {
          message: 'Expected a schema-qualified lowercase function name such as app.slugify',
        }),
      )
      .default([])
      .refine(
        (names) => names.every((n) => !n.startsWith('pg_catalog.') && !n.startsWith('information_schema.')),
        {
          message: 'Built-in functions cannot be added; only your own schema-qualified functions',
        },
      )
      .describe(
        'Your own functions (schema.name) that the production console may call because they only compute a value. Built-in functions come from a fixed list.',
      )
      .meta({ default: [], examples: [['app.slugify']] }),
  })
  .strict()
  .prefault({})
  .describe('Database migrations, backups and drift detection.');

export const environmentDatabaseSchema = z
  .object({
    url: z
      .string()
      .optional()
      .describe('Connection URL without a password, or omit and set urlEnv. Passwords belong in the vault.'),
    urlEnv: z
      .string()
      .optional()
      .describe("Name of the environment variable holding this environment's connection URL."),
    readonlyUrlEnv: z
      .string()
      .optional()
      .describe(
        'Name of the environment variable holding the read-only role URL for `prodguard sql` (instead of the vault secret database.readonlySecret).',
      ),
  })
  .strict()
  .optional()
  .describe("How prodguard reaches this environment's database.");
