import type { Clock } from '../../kernel/clock.js';
import { isProdguardError, ProdguardError } from '../../kernel/errors.js';
import type {
  AddVersionOptions,
  SecretInfo,
  SecretKind,
  SecretRef,
  SecretVault,
  SecretVersionInfo,
  SecretVersionMetadata,
  SecretVersionState,
} from '../../secrets/secret-vault.js';
import { type GcpTransport, isGcpApiError, listAll } from '../transport/index.js';
import { crc32c } from './crc32c.js';
import { secretIdFor } from './secret-id.js';

interface SmSecret {
  name: string;
  createTime?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  etag?: string;
  versionDestroyTtl?: string;
}

interface SmVersion {
  name: string;
  createTime?: string;
  destroyTime?: string;
  state: 'STATE_UNSPECIFIED' | 'ENABLED' | 'DISABLED' | 'DESTROYED';
  scheduledDestroyTime?: string;
  etag?: string;
}

/** What prodguard keeps per version in the secret's annotations (Secret Manager versions carry none). */
interface VersionNote {
  by: string;
  meta: SecretVersionMetadata;
  changed: string;
  destroyAfter?: string;
}

export interface SecretManagerVaultOptions {
  transport: GcpTransport;
  clock: Clock;
  project: string;
  /**
   * Secret Manager's own delayed destruction for secrets prodguard creates (e.g. "604800s"): a destroy
   * then only disables the version and Google erases it after this TTL. prodguard's grace period runs
   * first; this is a second net on Google's side.
   */
  versionDestroyTtl?: string;
  /** Replication of new secrets; default automatic. */
  replicationLocations?: readonly string[];
}

/** Labels find prodguard's secrets; annotations hold what labels cannot (case, JSON). Keys: no slashes allowed. */
const LABEL_MANAGED = 'prodguard-managed';
const LABEL_ENV = 'prodguard-environment';
const NOTE_NAME = 'prodguard.name';
const NOTE_KIND = 'prodguard.kind';
const noteKey = (version: number) => `prodguard.v${version}`;

function versionNumber(name: string): number {
  return Number(name.split('/').pop());
}

function toState(state: SmVersion['state']): SecretVersionState {
  return state === 'ENABLED' ? 'enabled' : state === 'DESTROYED' ? 'destroyed' : 'disabled';
}

function unavailable(ref: SecretRef, version: number, state: string): ProdguardError {
  return new ProdguardError(
    'PRODGUARD_SECRET_VERSION_UNAVAILABLE',
    `${ref.name} v${version} (${ref.environment}) is ${state.toLowerCase()} in Secret Manager.`,
    {
      hint:
        state === 'DESTROYED'
          ? 'A destroyed version is gone; pin or add another version.'
          : `Enable it first: prodguard secrets enable ${ref.name} ${version} --env ${ref.environment}`,
    },
  );
}

function notFound(ref: SecretRef, version: number): ProdguardError {
  return new ProdguardError(
    'PRODGUARD_SECRET_VERSION_NOT_FOUND',
    `${ref.name} has no version ${version} in ${ref.environment} (Secret Manager).`,
    { kind: 'usage', hint: `List versions with \`prodguard secrets status --env ${ref.environment}\`.` },
  );
}

/**
 * The SecretVault port over Secret Manager v1. One Google secret per (environment, name), id
 * `<environment>_<NAME>`, labelled `prodguard-managed=true`; versions are Google's own numbered
 * versions, so a pin "DATABASE_URL v7" is `projects/P/secrets/production_DATABASE_URL/versions/7` and
 * Cloud Run's secretKeyRef version "7". Author, metadata and the scheduled destruction time live in the
 * secret's annotations (`prodguard.v7`). Values are read only by accessVersion (`--reveal`, rotation).
 */
export class SecretManagerVault implements SecretVault {
  readonly #o: SecretManagerVaultOptions;

  constructor(options: SecretManagerVaultOptions) {
    this.#o = options;
  }

  #secretPath(ref: SecretRef): string {
    return `projects/${this.#o.project}/secrets/${secretIdFor(ref.name, ref.environment)}`;
  }

  async #readSecret(ref: SecretRef): Promise<SmSecret | undefined> {
    try {
      return await this.#o.transport.request<SmSecret>({
        api: 'secretmanager',
        method: 'GET',
        path: `/v1/${this.#secretPath(ref)}`,
      });
    } catch (error) {
      if (isGcpApiError(error) && error.httpStatus === 404) return undefined;
      throw error;
    }
  }

  #info(secret: SmSecret, ref?: SecretRef): SecretInfo {
    return {
      name: secret.annotations?.[NOTE_NAME] ?? ref?.name ?? '',
      environment: secret.labels?.[LABEL_ENV] ?? ref?.environment ?? '',
      kind: (secret.annotations?.[NOTE_KIND] as SecretKind | undefined) ?? 'external',
      createdAt: secret.createTime ?? '',
    };
  }

  async listSecrets(filter?: { environment?: string }): Promise<SecretInfo[]> {
    const clauses = [`labels.${LABEL_MANAGED}=true`];
    if (filter?.environment) clauses.push(`labels.${LABEL_ENV}=${filter.environment}`);
    const secrets = await listAll(async (pageToken) => {
      const page = await this.#o.transport.request<{ secrets?: SmSecret[]; nextPageToken?: string }>({
        api: 'secretmanager',
        method: 'GET',
        path: `/v1/projects/${this.#o.project}/secrets`,
        query: { filter: clauses.join(' AND '), pageSize: 250, pageToken },
      });
      return { items: page.secrets, nextPageToken: page.nextPageToken };
    });
    return secrets
      .map((s) => this.#info(s))
      .sort((a, b) => a.environment.localeCompare(b.environment) || a.name.localeCompare(b.name));
  }

  async getSecret(ref: SecretRef): Promise<SecretInfo | undefined> {
    const secret = await this.#readSecret(ref);
    return secret ? this.#info(secret, ref) : undefined;
  }

  async #ensureSecret(ref: SecretRef, kind: SecretKind): Promise<SmSecret> {
    const existing = await this.#readSecret(ref);
    if (existing) {
      const current = existing.annotations?.[NOTE_KIND];
      if (current && current !== kind)
        throw new ProdguardError(
          'PRODGUARD_SECRET_KIND_MISMATCH',
          `${ref.name} (${ref.environment}) is a ${current} secret, not ${kind}.`,
          { kind: 'usage', hint: 'Use the kind the secret was created with.' },
        );
      return existing;
    }
    const locations = this.#o.replicationLocations ?? [];
    try {
      return await this.#o.transport.request<SmSecret>({
        api: 'secretmanager',
        method: 'POST',
        path: `/v1/projects/${this.#o.project}/secrets`,
        query: { secretId: secretIdFor(ref.name, ref.environment) },
        body: {
          replication:
            locations.length > 0
              ? { userManaged: { replicas: locations.map((location) => ({ location })) } }
              : { automatic: {} },
          labels: { [LABEL_MANAGED]: 'true', [LABEL_ENV]: ref.environment },
          annotations: { [NOTE_NAME]: ref.name, [NOTE_KIND]: kind },
          ...(this.#o.versionDestroyTtl ? { versionDestroyTtl: this.#o.versionDestroyTtl } : {}),
        },
      });
    } catch (error) {
      // Created concurrently by someone else: use theirs.
      if (isGcpApiError(error) && error.googleStatus === 'ALREADY_EXISTS') {
        const now = await this.#readSecret(ref);
        if (now) return now;
      }
      throw error;
    }
  }

  /** Read-modify-write of the secret's annotations under its etag; retried on a concurrent change. */
  async #annotate(
    ref: SecretRef,
    change: (notes: Record<string, string>) => void,
    first?: SmSecret,
  ): Promise<void> {
    let secret = first ?? (await this.#readSecret(ref));
    for (let attempt = 1; secret; attempt++) {
      const annotations = { ...(secret.annotations ?? {}) };
      change(annotations);
      try {
        await this.#o.transport.request<SmSecret>({
          api: 'secretmanager',
          method: 'PATCH',
          path: `/v1/${this.#secretPath(ref)}`,
          query: { updateMask: 'annotations' },
          body: { annotations, etag: secret.etag },
        });
        return;
      } catch (error) {
        if (!(isProdguardError(error) && error.code === 'PRODGUARD_GCP_CONFLICT') || attempt >= 3)
          throw error;
        secret = await this.#readSecret(ref);
      }
    }
  }

  #note(secret: SmSecret | undefined, version: number): VersionNote | undefined {
    const text = secret?.annotations?.[noteKey(version)];
    if (!text) return undefined;
    try {
      return JSON.parse(text) as VersionNote;
    } catch {
      return undefined;
    }
  }

  #versionInfo(ref: SecretRef, secret: SmSecret | undefined, v: SmVersion): SecretVersionInfo {
    const version = versionNumber(v.name);
    const note = this.#note(secret, version);
    const state = toState(v.state);
    const destroyAfter = state === 'disabled' ? (note?.destroyAfter ?? v.scheduledDestroyTime) : undefined;
    return {
      name: ref.name,
      environment: ref.environment,
      version,
      state,
      createdAt: v.createTime ?? '',
      createdBy: note?.by ?? 'unknown (created outside prodguard)',
      stateChangedAt: v.destroyTime ?? note?.changed ?? v.createTime ?? '',
      ...(destroyAfter ? { destroyAfter } : {}),
      metadata: note?.meta ?? {},
    };
  }

  async addVersion(ref: SecretRef, value: string, options: AddVersionOptions): Promise<SecretVersionInfo> {
    const secret = await this.#ensureSecret(ref, options.kind);
    const bytes = Buffer.from(value, 'utf8');
    let created = await this.#o.transport.request<SmVersion>({
      api: 'secretmanager',
      method: 'POST',
      path: `/v1/${this.#secretPath(ref)}:addVersion`,
      body: { payload: { data: bytes.toString('base64'), dataCrc32c: String(crc32c(bytes)) } },
      secrets: [value],
    });
    if (this.#o.transport.mode === 'plan') {
      // Nothing was added: show the number Google would give (latest + 1).
      const versions = await this.#listRaw(ref).catch(() => []);
      const next = Math.max(0, ...versions.map((v) => versionNumber(v.name))) + 1;
      created = {
        name: `/${this.#secretPath(ref)}/versions/${next}`,
        state: 'ENABLED',
        createTime: this.#o.clock.now().toISOString(),
      };
    }
    const version = versionNumber(created.name);
    const now = this.#o.clock.now().toISOString();
    const note: VersionNote = { by: options.actor, meta: options.metadata ?? {}, changed: now };
    await this.#annotate(ref, (a) => {
      a[noteKey(version)] = JSON.stringify(note);
    });
    return this.#versionInfo(
      ref,
      { ...secret, annotations: { [noteKey(version)]: JSON.stringify(note) } },
      created,
    );
  }

  async #listRaw(ref: SecretRef): Promise<SmVersion[]> {
    return listAll(async (pageToken) => {
      const page = await this.#o.transport.request<{ versions?: SmVersion[]; nextPageToken?: string }>({
        api: 'secretmanager',
        method: 'GET',
        path: `/v1/${this.#secretPath(ref)}/versions`,
        query: { pageSize: 250, pageToken },
      });
      return { items: page.versions, nextPageToken: page.nextPageToken };
    });
  }

  async listVersions(ref: SecretRef): Promise<SecretVersionInfo[]> {
    const secret = await this.#readSecret(ref);
    if (!secret) return [];
    const versions = await this.#listRaw(ref);
    return versions.map((v) => this.#versionInfo(ref, secret, v)).sort((a, b) => a.version - b.version);
  }

  async #readVersion(ref: SecretRef, version: number): Promise<SmVersion | undefined> {
    if (!Number.isInteger(version) || version < 1) return undefined;
    try {
      return await this.#o.transport.request<SmVersion>({
        api: 'secretmanager',
        method: 'GET',
        path: `/v1/${this.#secretPath(ref)}/versions/${version}`,
      });
    } catch (error) {
      if (isGcpApiError(error) && error.httpStatus === 404) return undefined;
      throw error;
    }
  }

  async getVersion(ref: SecretRef, version: number): Promise<SecretVersionInfo | undefined> {
    const v = await this.#readVersion(ref, version);
    return v ? this.#versionInfo(ref, await this.#readSecret(ref), v) : undefined;
  }

  async accessVersion(ref: SecretRef, version: number): Promise<string> {
    const v = await this.#readVersion(ref, version);
    if (!v) throw notFound(ref, version);
    if (v.state !== 'ENABLED') throw unavailable(ref, version, v.state);
    try {
      const res = await this.#o.transport.request<{ payload?: { data?: string; dataCrc32c?: string } }>({
        api: 'secretmanager',
        method: 'GET',
        path: `/v1/${this.#secretPath(ref)}/versions/${version}:access`,
      });
      const bytes = Buffer.from(res.payload?.data ?? '', 'base64');
      if (res.payload?.dataCrc32c !== undefined && String(crc32c(bytes)) !== res.payload.dataCrc32c)
        throw new ProdguardError(
          'PRODGUARD_SECRET_TAMPERED',
          `${ref.name} v${version} (${ref.environment}): the value's CRC32C does not match Secret Manager's.`,
          { hint: 'Retry; if it persists, the value was corrupted in transit.' },
        );
      return bytes.toString('utf8');
    } catch (error) {
      // Disabled between the GET and the access.
      if (isGcpApiError(error) && error.googleStatus === 'FAILED_PRECONDITION')
        throw unavailable(ref, version, 'DISABLED');
      throw error;
    }
  }

  async #act(ref: SecretRef, version: number, action: 'enable' | 'disable' | 'destroy'): Promise<SmVersion> {
    const res = await this.#o.transport.request<SmVersion>({
      api: 'secretmanager',
      method: 'POST',
      path: `/v1/${this.#secretPath(ref)}/versions/${version}:${action}`,
      body: {},
    });
    return this.#o.transport.mode === 'plan'
      ? {
          ...res,
          name: `${this.#secretPath(ref)}/versions/${version}`,
          state: action === 'enable' ? 'ENABLED' : action === 'disable' ? 'DISABLED' : 'DESTROYED',
        }
      : res;
  }

  async #changeState(
    ref: SecretRef,
    version: number,
    action: 'enable' | 'disable',
    destroyAfter?: string,
  ): Promise<SecretVersionInfo> {
    const v = await this.#readVersion(ref, version);
    if (!v) throw notFound(ref, version);
    if (v.state === 'DESTROYED') throw unavailable(ref, version, v.state);
    const updated = await this.#act(ref, version, action);
    const secret = await this.#readSecret(ref);
    const previous = this.#note(secret, version);
    const note: VersionNote = {
      by: previous?.by ?? 'unknown (created outside prodguard)',
      meta: previous?.meta ?? {},
      changed: this.#o.clock.now().toISOString(),
      ...(destroyAfter ? { destroyAfter } : {}),
    };
    await this.#annotate(
      ref,
      (a) => {
        a[noteKey(version)] = JSON.stringify(note);
      },
      secret,
    );
    return this.#versionInfo(
      ref,
      { ...(secret ?? { name: '' }), annotations: { [noteKey(version)]: JSON.stringify(note) } },
      updated,
    );
  }

  disableVersion(ref: SecretRef, version: number): Promise<SecretVersionInfo> {
    return this.#changeState(ref, version, 'disable');
  }

  /** Enabling also cancels a destruction scheduled by prodguard or by Secret Manager's delayed destroy. */
  enableVersion(ref: SecretRef, version: number): Promise<SecretVersionInfo> {
    return this.#changeState(ref, version, 'enable');
  }

  scheduleDestroy(ref: SecretRef, version: number, destroyAfter: Date): Promise<SecretVersionInfo> {
    return this.#changeState(ref, version, 'disable', destroyAfter.toISOString());
  }

  /** Destroys the versions whose prodguard grace period has passed (Google may hold them longer: versionDestroyTtl). */
  async purgeDue(): Promise<SecretVersionInfo[]> {
    const now = this.#o.clock.nowMs();
    const destroyed: SecretVersionInfo[] = [];
    for (const info of await this.listSecrets()) {
      const ref = { name: info.name, environment: info.environment };
      const secret = await this.#readSecret(ref);
      for (const key of Object.keys(secret?.annotations ?? {})) {
        const m = /^prodguard\.v(\d+)$/.exec(key);
        if (!m) continue;
        const note = this.#note(secret, Number(m[1]));
        if (!note?.destroyAfter || Date.parse(note.destroyAfter) > now) continue;
        const version = Number(m[1]);
        const v = await this.#readVersion(ref, version);
        if (v?.state !== 'DISABLED') continue;
        const after = await this.#act(ref, version, 'destroy');
        const { destroyAfter: _done, ...rest } = note;
        await this.#annotate(ref, (a) => {
          a[noteKey(version)] = JSON.stringify({ ...rest, changed: new Date(now).toISOString() });
        });
        const fresh = await this.#readSecret(ref);
        const result = this.#versionInfo(ref, fresh, after);
        if (result.state === 'destroyed') destroyed.push(result);
      }
    }
    return destroyed;
  }
}
