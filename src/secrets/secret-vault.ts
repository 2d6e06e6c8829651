/**
 * The vault port: named secrets per environment with immutable, numbered versions, shaped like Google Secret
 * Manager (versions enabled / disabled / destroyed, destruction scheduled after a grace period).
 * The local encrypted vault implements it; a Secret Manager adapter can too. Pins, rotation and policy live
 * above this port, in prodguard's own store.
 */

export type SecretKind = 'postgres' | 'random' | 'external';
export const SECRET_KINDS: readonly SecretKind[] = ['postgres', 'random', 'external'];

export type SecretVersionState = 'enabled' | 'disabled' | 'destroyed';

export interface SecretRef {
  name: string;
  environment: string;
}

export interface SecretInfo extends SecretRef {
  kind: SecretKind;
  createdAt: string;
}

/** Non-secret facts about a version (e.g. the database role it logs in as). */
export type SecretVersionMetadata = Record<string, string | number | boolean>;

export interface SecretVersionInfo extends SecretRef {
  version: number;
  state: SecretVersionState;
  createdAt: string;
  createdBy: string;
  stateChangedAt: string;
  /** Set on a disabled version whose destruction is scheduled: the value is erased at this time. */
  destroyAfter?: string;
  metadata: SecretVersionMetadata;
}

export interface AddVersionOptions {
  actor: string;
  metadata?: SecretVersionMetadata;
  /** Create the secret with this kind when it does not exist yet. */
  kind: SecretKind;
}

export interface SecretVault {
  listSecrets(filter?: { environment?: string }): Promise<SecretInfo[]>;
  getSecret(ref: SecretRef): Promise<SecretInfo | undefined>;
  /** Adds the next version (latest + 1, never reused), enabled. */
  addVersion(ref: SecretRef, value: string, options: AddVersionOptions): Promise<SecretVersionInfo>;
  listVersions(ref: SecretRef): Promise<SecretVersionInfo[]>;
  getVersion(ref: SecretRef, version: number): Promise<SecretVersionInfo | undefined>;
  /** The value of an enabled version; disabled and destroyed versions throw PRODGUARD_SECRET_VERSION_UNAVAILABLE. */
  accessVersion(ref: SecretRef, version: number): Promise<string>;
  disableVersion(ref: SecretRef, version: number): Promise<SecretVersionInfo>;
  /** Re-enables a disabled version; cancels a scheduled destruction. */
  enableVersion(ref: SecretRef, version: number): Promise<SecretVersionInfo>;
  /** Disables the version now and erases its value once `destroyAfter` has passed. */
  scheduleDestroy(ref: SecretRef, version: number, destroyAfter: Date): Promise<SecretVersionInfo>;
  /** Erases values whose destruction time has passed; returns the versions destroyed. */
  purgeDue(): Promise<SecretVersionInfo[]>;
}

/** Names are environment variable names, as Cloud Run delivers them: DATABASE_URL, JWT_SECRET. */
export const SECRET_NAME_PATTERN = /^[A-Z][A-Z0-9_]{0,62}$/;
