import type {
  AddVersionOptions,
  SecretInfo,
  SecretRef,
  SecretVault,
  SecretVersionInfo,
} from '../secrets/secret-vault.js';

/**
 * One SecretVault over several, by environment: Secret Manager for Cloud Run environments, the local
 * encrypted vault for the others. Pins, rotation and policy above the port do not change.
 */
export class RoutedSecretVault implements SecretVault {
  readonly #routes: ReadonlyMap<string, SecretVault>;
  readonly #fallback: SecretVault;

  constructor(routes: ReadonlyMap<string, SecretVault>, fallback: SecretVault) {
    this.#routes = routes;
    this.#fallback = fallback;
  }

  #for(environment: string): SecretVault {
    return this.#routes.get(environment) ?? this.#fallback;
  }

  #all(): SecretVault[] {
    return [...new Set([this.#fallback, ...this.#routes.values()])];
  }

  async listSecrets(filter?: { environment?: string }): Promise<SecretInfo[]> {
    if (filter?.environment) return this.#for(filter.environment).listSecrets(filter);
    const out: SecretInfo[] = [];
    for (const vault of this.#all()) {
      const mine = (await vault.listSecrets()).filter((s) => this.#for(s.environment) === vault);
      out.push(...mine);
    }
    return out.sort((a, b) => a.environment.localeCompare(b.environment) || a.name.localeCompare(b.name));
  }
  getSecret = (ref: SecretRef) => this.#for(ref.environment).getSecret(ref);
  addVersion = (ref: SecretRef, value: string, options: AddVersionOptions) =>
    this.#for(ref.environment).addVersion(ref, value, options);
  listVersions = (ref: SecretRef) => this.#for(ref.environment).listVersions(ref);
  getVersion = (ref: SecretRef, version: number) => this.#for(ref.environment).getVersion(ref, version);
  accessVersion = (ref: SecretRef, version: number) => this.#for(ref.environment).accessVersion(ref, version);
  disableVersion = (ref: SecretRef, version: number) =>
    this.#for(ref.environment).disableVersion(ref, version);
  enableVersion = (ref: SecretRef, version: number) => this.#for(ref.environment).enableVersion(ref, version);
  scheduleDestroy = (ref: SecretRef, version: number, at: Date) =>
    this.#for(ref.environment).scheduleDestroy(ref, version, at);

  async purgeDue(): Promise<SecretVersionInfo[]> {
    const out: SecretVersionInfo[] = [];
    for (const vault of this.#all()) out.push(...(await vault.purgeDue()));
    return out;
  }
}
