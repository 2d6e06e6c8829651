import { z } from 'zod';
import { duration, durationOr, environmentName } from '../fields.js';

/**
 * The `tests` key: the test tiers of seed §9. Named suites (unit, integration, …) that the checklist runs on
 * the tree before a deploy, and an E2E suite that a deploy runs against the new revision on the environments
 * other environments require (staging), as part of that environment's verification.
 *
 * The older form `tests: { command, timeout }` still works: it is one suite named `tests`.
 */

const suiteName = z.string().regex(/^[a-z][a-z0-9_-]{0,39}$/, {
  message: 'Expected a suite name such as unit, integration or e2e (lowercase letters, digits, - and _)',
});

const testSuiteSchema = z
  .object({
    name: suiteName.describe('Shown in the checklist and the audit trail, e.g. unit or integration.'),
    command: z.string().min(1).describe('Shell command of this suite, run at the repository root.'),
    timeout: durationOr('Longest this suite may run.', '30m', { min: '1s', max: '24h' }),
  })
  .strict();

const e2eSuiteSchema = z
  .object({
    name: suiteName
      .default('e2e')
      .describe('Name of the E2E suite; the verification records it as the check `e2e:<name>`.'),
    command: z
      .string()
      .min(1)
      .describe(
        "Shell command of the E2E suite, e.g. npm run test:e2e. It runs in the release's own files, against the new revision's URL (given as BASE_URL), before any traffic moves.",
      ),
    timeout: durationOr('Longest the E2E suite may run.', '15m', { min: '1s', max: '24h' }),
    environments: z
      .array(environmentName)
      .min(1)
      .optional()
      .describe(
        'Environments whose deploys run the E2E suite; default: every environment another one requires (staging). A release needs its pass there to be promoted.',
      ),
  })
  .strict()
  .describe(
    'E2E tests on staging (seed §9): their pass is part of the staging verification production requires.',
  );

export const testsConfigSchema = z
  .object({
    command: z
      .string()
      .min(1)
      .optional()
      .describe('Shorthand for one suite named `tests` (default npm test). Use either this or suites.'),
    timeout: duration('Longest the `command` suite may run (default 30m).', {
      min: '1s',
      max: '24h',
    }).optional(),
    suites: z
      .array(testSuiteSchema)
      .min(1)
      .optional()
      .describe(
        'Named suites the checklist runs, each of which must pass 100% (seed §9: unit and integration).',
      ),
    e2e: e2eSuiteSchema.optional(),
  })
  .strict()
  .prefault({})
  .superRefine((value, ctx) => {
    if (value.suites && (value.command !== undefined || value.timeout !== undefined)) {
      ctx.issues.push({
        code: 'custom',
        input: value,
        path: ['command'],
        message: 'Use either tests.command (one suite) or tests.suites (named suites), not both',
      });
    }
    const names = (value.suites ?? []).map((s) => s.name);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup) {
      ctx.issues.push({
        code: 'custom',
        input: value,
        path: ['suites'],
        message: `Suite name "${dup}" is used twice; each suite needs its own name`,
      });
    }
  })
  .transform((value) => ({
    suites: value.suites ?? [
      { name: 'tests', command: value.command ?? 'npm test', timeout: value.timeout ?? 30 * 60_000 },
    ],
    ...(value.e2e ? { e2e: value.e2e } : {}),
  }))
  .describe('The test tiers of seed §9: suites the checklist runs, and an E2E suite run on staging.');

export type TestsConfig = z.output<typeof testsConfigSchema>;
export type TestSuite = TestsConfig['suites'][number];
export type E2eSuite = NonNullable<TestsConfig['e2e']>;

/**
 * Environments whose deploys run the E2E suite: the configured list, or every environment another one
 * requires (staging, when production requires it). Empty without an E2E suite.
 */
export function e2eEnvironments(config: {
  tests?: TestsConfig | undefined;
  environments: Record<string, { requires?: string | undefined }>;
}): string[] {
  const e2e = config.tests?.e2e;
  if (!e2e) return [];
  if (e2e.environments) return e2e.environments;
  const required = new Set<string>();
  for (const env of Object.values(config.environments)) if (env.requires) required.add(env.requires);
  return [...required];
}

/** The verification check an E2E pass records, and production requires. */
export function e2eCheckName(suite: { name: string }): string {
  return `e2e:${suite.name}`;
}
