import { z } from 'zod';
import { durationOr } from '../fields.js';

/**
 * The `app` key (how to build and start the user's application) and each environment's platform keys.
 * Owned by the platform and deploy domains (src/platform, src/deploy).
 */
export const appConfigSchema = z
  .object({
    start: z
      .string()
      .default('npm start')
      .describe('Command that starts one instance of the app; it must listen on $PORT.'),
    build: z
      .string()
      .optional()
      .describe('Command run once per release in the extracted artifact, e.g. `npm ci`.'),
    buildTimeout: durationOr('Longest the build command may run.', '15m', { min: '1s', max: '2h' }),
    healthPath: z
      .string()
      .regex(/^\//, { message: 'Expected a path starting with /, such as /health' })
      .optional()
      .describe(
        'Path that answers 2xx when an instance is ready. Omit when the app has none: any HTTP answer then means ready.',
      ),
    startupTimeout: durationOr('How long a new instance may take to become ready.', '60s', {
      min: '1s',
      max: '1h',
    }),
    drainTimeout: durationOr(
      'How long in-flight requests may take to finish before an instance taken out of traffic is stopped.',
      '30s',
      { min: '0s', max: '1h' },
    ),
    stopGrace: durationOr('Time between SIGTERM and SIGKILL when an instance is stopped.', '10s', {
      min: '0s',
      max: '10m',
    }),
    env: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string())
      .default({})
      .describe(
        'Environment variables for the app, with {placeholders}: {environment}, {revision}, {commit}, {digest}, {port}, or values the deploy provides such as {database.host}. Example: DB_HOST: "{database.host}".',
      ),
    agentPort: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .default(4100)
      .describe('Loopback port of the local platform agent API (`prodguard up`).'),
  })
  .strict()
  .prefault({})
  .describe('How to build and start the application.');

export const environmentPlatformSchema = z
  .object({
    port: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .optional()
      .describe(
        "Loopback port of this environment's router. Omit to let the agent pick a free port once and keep it.",
      ),
    env: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string())
      .default({})
      .describe('Plain environment variables for every revision of this environment (no secrets here).'),
  })
  .strict()
  .optional()
  .describe('Local platform settings for this environment.');

export type AppConfig = z.output<typeof appConfigSchema>;
export type EnvironmentPlatformConfig = NonNullable<z.output<typeof environmentPlatformSchema>>;
