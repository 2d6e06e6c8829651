import { z } from 'zod';
import { duration, durationOr, environmentName, percentage, timeZone, WEEKDAYS } from './fields.js';
import { auditConfigSchema } from './sections/audit.js';
import { databaseConfigSchema, environmentDatabaseSchema } from './sections/database.js';
import { deployConfigSchema } from './sections/deploy.js';
import { incidentConfigSchema, monitorConfigSchema } from './sections/monitor.js';
import { appConfigSchema, environmentPlatformSchema } from './sections/platform.js';
import { secretsConfigSchema } from './sections/secrets.js';
import { testsConfigSchema } from './sections/tests.js';

/**
 * prodguard.yaml, as written by the user. Every key carries a description and its default;
 * `prodguard config schema` turns this into the JSON Schema editors use.
 */

const healthSchema = z
  .object({
    url: z
      .string()
      .url({ message: 'Expected an absolute URL such as https://api-staging.example.com/health' })
      .describe('Health endpoint of this environment.'),
    timeout: durationOr('How long the health endpoint may take to answer.', '5s', {
      min: '100ms',
      max: '5m',
    }),
  })
  .strict()
  .describe('Where this environment reports its health (seed §5 step 4).');

const freezeWindowSchema = z
  .object({
    from: z.string().describe('Start, ISO 8601. Without an offset it is read in the configured timezone.'),
    to: z
      .string()
      .describe('End (exclusive), ISO 8601. Without an offset it is read in the configured timezone.'),
    reason: z.string().min(1).describe('Why deploys are frozen, shown in the refusal.'),
    environments: z
      .array(environmentName)
      .optional()
      .describe('Environments frozen; default: every environment the freeze rule applies to.'),
  })
  .strict();

export const environmentSchema = z
  .object({
    requires: environmentName
      .optional()
      .describe('Environment a release must be verified on first (production requires staging: seed §2).'),
    branch: z.string().optional().describe('The only branch deploys to this environment may come from.'),
    protected: z
      .boolean()
      .default(false)
      .describe(
        'Shared environment (staging, production): the checklist applies. Implied by requires or branch.',
      ),
    health: healthSchema.optional(),
    thresholds: z
      .object({
        errorRate: percentage('Error-rate alert threshold for this environment.', '5%').optional(),
        latencyP95: duration('p95 latency alert threshold for this environment.', {
          min: '1ms',
          max: '10m',
        }).optional(),
      })
      .strict()
      .optional()
      .describe('Overrides of the top-level thresholds.'),
    database: environmentDatabaseSchema,
    platform: environmentPlatformSchema,
  })
  .strict();

const coverageGroupSchema = z
  .object({
    name: z.string().min(1).describe('Shown in the checklist, e.g. "critical paths".'),
    minimum: z.number().min(0).max(100).describe('Minimum coverage in percent.'),
    include: z
      .array(z.string().min(1))
      .min(1)
      .describe('Globs of source files in this group, relative to the repository root.'),
    exclude: z.array(z.string()).default([]).describe('Globs removed from the group.'),
  })
  .strict();

const ruleSettingSchema = z
  .object({
    severity: z
      .enum(['block', 'warn', 'off'])
      .optional()
      .describe('block refuses the action, warn reports it, off skips the check.'),
    environments: z
      .array(environmentName)
      .optional()
      .describe('Environments the rule applies to (default set by the rule).'),
  })
  .strict();

export const DEFAULT_COVERAGE_GROUPS = [
  { name: 'critical paths', minimum: 100, include: ['src/auth/**', 'src/payments/**'], exclude: [] },
  { name: 'API endpoints', minimum: 90, include: ['src/routes/**', 'src/api/**'], exclude: [] },
  { name: 'business logic', minimum: 85, include: ['src/services/**', 'src/lib/**'], exclude: [] },
  { name: 'overall', minimum: 80, include: ['**'], exclude: [] },
];

export const writtenConfigSchema = z
  .object({
    version: z.literal(1).describe('Config format version.'),
    project: z
      .object({ name: z.string().min(1).describe('Service name, e.g. cvstomize-api.') })
      .strict()
      .describe('The service this repository deploys.'),
    timezone: timeZone.default('UTC').describe('IANA time zone for freeze rules and rollback tag names.'),
    stateDir: z
      .string()
      .default('.prodguard')
      .describe('Where prodguard keeps its state, logs and artifacts (git-ignored).'),
    tests: testsConfigSchema,
    changelog: z
      .string()
      .default('CHANGELOG.md')
      .describe('File that documents changes (seed §1: document all production changes).'),
    releaseTag: z
      .string()
      .regex(/\{[A-Za-z]+\}/, { message: 'Expected a pattern with placeholders such as v{YYYYMMDD}-{HHmm}' })
      .default('v{YYYYMMDD}-{HHmm}')
      .describe('Name of the annotated rollback tag a production deploy creates (seed §5 step 5).'),
    freeze: z
      .object({
        weekdays: z
          .array(z.enum(WEEKDAYS))
          .default(['friday'])
          .describe('Whole days with no deploys (golden rule 8: never deploy on Fridays).'),
        windows: z
          .array(freezeWindowSchema)
          .default([])
          .describe('One-off freeze windows (holidays, launches).'),
      })
      .strict()
      .prefault({})
      .describe('When deploys are refused.'),
    thresholds: z
      .object({
        errorRate: percentage('Error rate that trips an alert and a rollback (seed §6: >5%).', '5%'),
        latencyP95: durationOr('p95 response time that trips an alert and a rollback (seed §6: >2s).', '2s', {
          min: '1ms',
          max: '10m',
        }),
      })
      .strict()
      .prefault({})
      .describe('Health thresholds (seed §6).'),
    watch: durationOr(
      'How long to watch after a deploy before it is verified (seed §3 step 6: 10 minutes).',
      '10m',
      { min: '1s', max: '24h' },
    ),
    coverage: z
      .object({
        summary: z
          .string()
          .default('coverage/coverage-summary.json')
          .describe('istanbul json-summary file, or an lcov.info file.'),
        metric: z
          .enum(['lines', 'statements', 'branches', 'functions'])
          .default('lines')
          .describe('Which coverage number is compared.'),
        groups: z
          .array(coverageGroupSchema)
          .default(DEFAULT_COVERAGE_GROUPS)
          .describe('Minimums per group of files (seed §9).'),
      })
      .strict()
      .prefault({})
      .describe('Test coverage minimums (seed §9).'),
    secretScan: z
      .object({
        exclude: z
          .array(z.string())
          .default([])
          .describe('Globs of tracked files the secret scan skips (fixtures).'),
      })
      .strict()
      .prefault({})
      .describe('Scan of tracked files and recent commits for credentials (seed §4).'),
    app: appConfigSchema,
    deploy: deployConfigSchema,
    database: databaseConfigSchema,
    secrets: secretsConfigSchema,
    audit: auditConfigSchema,
    monitor: monitorConfigSchema,
    incident: incidentConfigSchema,
    environments: z
      .record(environmentName, environmentSchema)
      .refine((envs) => Object.keys(envs).length > 0, { message: 'Expected at least one environment' })
      .describe('Environments in promotion order, e.g. local → staging → production.'),
    rules: z
      .record(z.string(), ruleSettingSchema)
      .default({})
      .describe('Per-rule severity and scope overrides; see `prodguard rules`.'),
  })
  .strict();

export type WrittenConfig = z.input<typeof writtenConfigSchema>;
export type ParsedConfig = z.output<typeof writtenConfigSchema>;
export type EnvironmentConfig = z.output<typeof environmentSchema>;
export type CoverageGroup = z.output<typeof coverageGroupSchema>;
export type FreezeWindowConfig = z.output<typeof freezeWindowSchema>;
export type RuleSetting = z.output<typeof ruleSettingSchema>;

export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(writtenConfigSchema, { io: 'input', unrepresentable: 'any' }),
    title: 'prodguard.yaml',
  };
}
