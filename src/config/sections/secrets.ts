import { z } from 'zod';
import { durationOr } from '../fields.js';

/** The `secrets` key. Owned by the secrets domain (src/secrets). */
export const secretsConfigSchema = z
  .object({
    rotation: z
      .object({
        postgres: durationOr('How often database passwords rotate (seed §7: every 90 days).', '90d', {
          min: '1h',
          max: '3650d',
        }),
        random: durationOr(
          'How often generated secrets such as JWT signing keys rotate (seed §7: every 180 days).',
          '180d',
          { min: '1h', max: '3650d' },
        ),
        external: durationOr('Reminder period for provider-issued API keys.', '365d', {
          min: '1h',
          max: '3650d',
        }),
      })
      .strict()
      .prefault({})
      .describe('Rotation schedule by secret kind.'),
    wayOverdue: durationOr(
      'How far past its due date a secret may be before the preflight check blocks instead of warning.',
      '30d',
      { min: '0s', max: '3650d' },
    ),
    destroyGracePeriod: durationOr(
      'Delay between `secrets destroy` and the value being erased (Secret Manager style scheduled destruction); `secrets enable` cancels it meanwhile.',
      '7d',
      { min: '0s', max: '365d' },
    ),
    minEnabledVersions: z
      .number()
      .int()
      .min(1)
      .default(3)
      .describe(
        'Destroy is refused when it would leave fewer enabled versions (seed §7: keep 3 versions minimum).',
      )
      .meta({ default: 3, examples: [3] }),
    adminSecret: z
      .string()
      .regex(/\{name\}/, { message: 'Expected a pattern containing {name}, such as {name}_ADMIN' })
      .default('{name}_ADMIN')
      .describe(
        'Name of the secret holding the admin connection URL used to create roles and set passwords, per database secret.',
      )
      .meta({ default: '{name}_ADMIN', examples: ['{name}_ADMIN'] }),
    groupRole: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,55}$/, {
        message: 'Expected a lowercase PostgreSQL role name such as cvstomize_app',
      })
      .optional()
      .describe(
        'Group role that owns the objects; its members <groupRole>_a and <groupRole>_b alternate as login users. Default: the project name with non-alphanumerics as underscores.',
      ),
    stagingRotationMaxAge: durationOr(
      'A production rotation requires a successful rotation of the same secret on the required environment within this period.',
      '30d',
      { min: '1m', max: '365d' },
    ),
    propagationTimeout: durationOr(
      'How long a rotation keeps trying to log in with a new password before giving up (Cloud SQL: 5-15 minutes).',
      '15m',
      { min: '1s', max: '1h' },
    ),
    propagationInterval: durationOr('Pause between login attempts while waiting for a new password.', '5s', {
      min: '10ms',
      max: '1m',
    }),
    authWatch: durationOr(
      'How long the single-user protocol watches the service for authentication errors after changing the password (seed §4 step 8).',
      '2m',
      { min: '1s', max: '1h' },
    ),
  })
  .strict()
  .prefault({})
  .describe('Versioned, encrypted secrets and their rotation schedule.');

export type SecretsConfig = z.output<typeof secretsConfigSchema>;
