import { z } from 'zod';

/**
 * The `database` key (top level) and each environment's `database` key.
 * Owned by the migrations domain (src/database).
 */
export const databaseConfigSchema = z
  .object({
    migrations: z
      .string()
      .default('prisma/migrations')
      .describe('Folder holding Prisma Migrate migrations (<timestamp>_<name>/migration.sql).'),
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
  })
  .strict()
  .optional()
  .describe("How prodguard reaches this environment's database.");
