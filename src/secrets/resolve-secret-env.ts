import type { SecretVault } from './secret-vault.js';

/** A pin as revision specs carry it: a version number, or a version with the variable to deliver it as. */
export type PinnedSecret = number | { version: number; envVar?: string };

export const PREVIOUS_SUFFIX = '_PREVIOUS';

/**
 * The environment variables a revision starts with: each pinned secret's value under its name (or envVar),
 * and for `random` secrets (signing keys) also the newest enabled version below the pin as `<NAME>_PREVIOUS`,
 * so tokens signed before a rotation still verify. The platform calls this when it starts a revision.
 *
 * @example
 * const env = await resolveSecretEnv(vault, 'staging', { DATABASE_URL: 4, JWT_SECRET: 2 });
 * // { DATABASE_URL: 'postgresql://app_b:…@db/app', JWT_SECRET: '…', JWT_SECRET_PREVIOUS: '…' }
 */
export async function resolveSecretEnv(
  vault: SecretVault,
  environment: string,
  pins: Record<string, PinnedSecret>,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [name, pinned] of Object.entries(pins)) {
    const version = typeof pinned === 'number' ? pinned : pinned.version;
    const envVar = (typeof pinned === 'number' ? undefined : pinned.envVar) ?? name;
    const ref = { name, environment };
    out[envVar] = await vault.accessVersion(ref, version);
    const secret = await vault.getSecret(ref);
    if (secret?.kind === 'random') {
      const previous = (await vault.listVersions(ref))
        .filter((v) => v.version < version && v.state === 'enabled')
        .at(-1);
      if (previous) out[`${envVar}${PREVIOUS_SUFFIX}`] = await vault.accessVersion(ref, previous.version);
    }
  }
  return out;
}
