import { z } from 'zod';
import { duration, durationOr } from '../fields.js';

/**
 * The `deploy` key: how revisions are verified, analysed and promoted. Owned by src/deploy.
 * Every duration is written as the user writes it (`30s`) and parsed to milliseconds.
 */
export const deployConfigSchema = z
  .object({
    verificationMaxAge: durationOr(
      'How old a verification on the required environment may be and still allow promotion (seed §2: staging first).',
      '7d',
      { min: '1m', max: '365d' },
    ),
    strategy: z
      .enum(['all-at-once', 'canary'])
      .default('canary')
      .describe('How traffic moves to a new revision: one switch, or canary steps analysed one by one.'),
    steps: z
      .array(z.number().int().min(1).max(100))
      .min(1)
      .default([10, 50, 100])
      .describe('Canary traffic percentages, ascending, ending at 100.')
      .meta({ examples: [[10, 50, 100]] }),
    stepDuration: durationOr('How long each canary step is analysed before the next one.', '30s', {
      min: '1s',
      max: '1h',
    }),
    smoke: z
      .object({
        command: z
          .string()
          .min(1)
          .optional()
          .describe("Smoke test run against the new revision's own URL (given as BASE_URL)."),
        timeout: durationOr('Longest the smoke command may run.', '2m', { min: '1s', max: '2h' }),
      })
      .strict()
      .prefault({})
      .describe('Smoke test run before any traffic moves (seed §9: manual smoke list).'),
    analysis: z
      .object({
        interval: durationOr(
          'How often metrics are sampled during analysis and the watch. Each sample looks back over `window`, so a 1 s interval is a sliding window, not 1 s of data.',
          '1s',
          { min: '100ms', max: '1m' },
        ),
        window: durationOr('Sliding window each sample covers.', '10s', { min: '1s', max: '1h' }),
        consecutiveBreaches: z
          .number()
          .int()
          .min(1)
          .default(3)
          .describe(
            'Breaching samples in a row that trip an automatic rollback. A decisive breach (see decisiveConfidence) trips at once.',
          ),
        confidence: z
          .number()
          .gt(0.5)
          .lt(1)
          .default(0.95)
          .describe(
            "A sample breaches the error-rate threshold only when the rate's Wilson lower bound at this one-sided confidence is above it, so a few errors among few requests are not mistaken for a failing release.",
          ),
        decisiveConfidence: z
          .number()
          .gt(0.5)
          .lt(1)
          .default(0.999)
          .describe(
            'When the lower bound at this confidence is above the error-rate threshold (e.g. 10 failures in 20 requests), one sample trips the rollback without waiting for consecutiveBreaches.',
          ),
        minRequests: z
          .number()
          .int()
          .min(1)
          .default(20)
          .describe('Below this many requests in the window the verdict is "insufficient data".'),
        holdTimeout: durationOr(
          'How long analysis may hold on insufficient data (sending synthetic probes) before the step fails.',
          '2m',
          { min: '1s', max: '1h' },
        ),
        probePaths: z
          .array(z.string().startsWith('/'))
          .min(1)
          .optional()
          .describe(
            "Paths probed on the revision while data is insufficient. Default: the app's health path (app.healthPath), or / when it has none.",
          )
          .meta({ examples: [['/health', '/api/status']] }),
        probesPerSample: z
          .number()
          .int()
          .min(1)
          .max(500)
          .default(10)
          .describe('Synthetic requests sent per sample while holding.'),
        maxRestarts: z
          .number()
          .int()
          .min(0)
          .default(0)
          .describe('Crashes (restarts) of the new revision tolerated during analysis.'),
      })
      .strict()
      .prefault({})
      .describe('Canary and watch analysis (seed §6 thresholds).'),
    switchTimeout: durationOr('Budget for one traffic switch, used in the time-to-rollback estimate.', '2s', {
      min: '100ms',
      max: '10m',
    }),
    keepRevisions: z
      .number()
      .int()
      .min(1)
      .default(3)
      .describe('Retired revisions kept restartable for rollback; older ones are forgotten.'),
    lockWait: duration('How long a deploy waits for the environment lock.', {
      min: '0s',
      max: '1h',
    }).optional(),
  })
  .strict()
  .prefault({})
  .describe('The deploy pipeline: staging-first promotion, canary analysis, automatic rollback.');

export type DeployConfig = z.output<typeof deployConfigSchema>;
