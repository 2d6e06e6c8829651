import { z } from 'zod';
import { durationOr } from '../fields.js';

/** The `secrets` key. Owned by the secrets domain (src/secrets). */
export const secretsConfigSchema = z
  .object({
    rotation: z
      .object({
        postgres: durationOr('How often database passwords rotate (seed §7: every 90 days).', '90d'),
        random: durationOr(
          'How often generated secrets such as JWT signing keys rotate (seed §7: every 180 days).',
          '180d',
        ),
        external: durationOr('Reminder period for provider-issued API keys.', '365d'),
      })
      .strict()
      .prefault({})
      .describe('Rotation schedule by secret kind.'),
  })
  .strict()
  .prefault({})
  .describe('Versioned, encrypted secrets and their rotation schedule.');
