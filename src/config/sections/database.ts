import { z } from 'zod';
import { durationOr } from '../fields.js';

/**
 * The `database` key (top level) and each environment's `database` key.
 * Owned by the migrations domain (src/database).
 */
export const databaseConfigSchema = z
  .object({
    migrations: z
      .string()
      .default('prisma/migrations')
      .describe(
        'Folder holding Prisma Migrate migrations (<timestamp>_<name>/migration.sql), relative to prodguard.yaml.',
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
