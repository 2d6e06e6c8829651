import type { AuditLog } from '../audit/audit-log.js';
import type { Config } from '../config/index.js';
import type { Clock } from '../kernel/clock.js';
import { ProdguardError } from '../kernel/errors.js';
import type { Logger } from '../kernel/logger.js';
import type { OperationStore } from '../operations/index.js';
import type { StateStore } from '../store/state-store.js';
import type { SecretPins } from './secret-pins.js';
import { SECRET_NAME_PATTERN, type SecretRef, type SecretVault } from './secret-vault.js';
import type { RunningRevisionSecrets, ServiceRoller } from './secrets-ports.js';

/** What the secrets operations need: the vault, the pins and the narrow parts of a workspace. */
export interface SecretsContext {
  config: Pick<Config, 'secrets' | 'environments' | 'environmentOrder' | 'project' | 'rules'>;
  vault: SecretVault;
  pins: SecretPins;
  store: StateStore;
  audit: Pick<AuditLog, 'append'>;
  clock: Clock;
  log: Logger;
  actor: string;
  /** Exact values this process handled; logs, audit and errors mask them. */
  knownSecrets: Set<string>;
  running?: RunningRevisionSecrets;
  roller?: ServiceRoller;
  /** The workspace's operation journal (with its observers); rotations build a plain one without it. */
  ops?: OperationStore;
}

export function assertSecretName(name: string): void {
  if (!SECRET_NAME_PATTERN.test(name)) {
    // NAME=VALUE typed as a name: never echo what follows '='.
    const shown = name.includes('=') ? `${name.slice(0, name.indexOf('='))}=…` : name;
    throw new ProdguardError('PRODGUARD_SECRET_NAME_INVALID', `"${shown}" is not a valid secret name.`, {
      kind: 'usage',
      hint: 'Secret names are the environment variable the app reads: upper case, digits and underscores, e.g. DATABASE_URL.',
    });
  }
}

export async function requireSecret(ctx: Pick<SecretsContext, 'vault'>, ref: SecretRef) {
  const secret = await ctx.vault.getSecret(ref);
  if (!secret) {
    throw new ProdguardError(
      'PRODGUARD_SECRET_NOT_FOUND',
      `Secret ${ref.name} does not exist in ${ref.environment}.`,
      {
        kind: 'usage',
        hint: `Add it: prodguard secrets add ${ref.name} --env ${ref.environment} < value-file`,
      },
    );
  }
  return secret;
}
