import { z } from 'zod';

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
      .describe("Loopback port of this environment's router."),
  })
  .strict()
  .optional()
  .describe('Local platform settings for this environment.');
