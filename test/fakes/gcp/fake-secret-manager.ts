import { crc32c } from '../../../src/gcp/secret-manager/crc32c.js';
import type { FakeHttpServer, FakeRequest } from './fake-http.js';
import { FakeGoogleError, requireObject } from './fake-http.js';

export interface SmVersion {
  name: string;
  createTime: string;
  destroyTime?: string;
  state: 'ENABLED' | 'DISABLED' | 'DESTROYED';
  etag: string;
  scheduledDestroyTime?: string;
  clientSpecifiedPayloadChecksum?: boolean;
}

export interface SmSecret {
  name: string;
  replication: unknown;
  createTime: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  etag: string;
  versionDestroyTtl?: string;
}

interface SecretState {
  secret: SmSecret;
  versions: Map<number, { resource: SmVersion; data?: string }>;
  next: number;
  generation: number;
}

const SECRETS = /^\/v1\/projects\/([^/]+)\/secrets$/;
const SECRET = /^\/v1\/(projects\/[^/]+\/secrets\/[^/:]+)$/;
const ADD_VERSION = /^\/v1\/(projects\/[^/]+\/secrets\/[^/:]+):addVersion$/;
const VERSIONS = /^\/v1\/(projects\/[^/]+\/secrets\/[^/:]+)\/versions$/;
const VERSION = /^\/v1\/(projects\/[^/]+\/secrets\/[^/:]+)\/versions\/([^/:]+)$/;
const VERSION_ACTION =
  /^\/v1\/(projects\/[^/]+\/secrets\/[^/:]+)\/versions\/([^/:]+):(access|enable|disable|destroy)$/;

function seconds(duration: string): number {
  const m = /^(\d+(?:\.\d+)?)s$/.exec(duration);
  if (!m) throw new FakeGoogleError('INVALID_ARGUMENT', `Invalid duration ${duration}.`);
  return Number(m[1]);
}

/** Secret Manager v1: secrets with labels/annotations/etag, numbered versions, delayed destruction. */
export class FakeSecretManager {
  readonly secrets = new Map<string, SecretState>();
  readonly #now: () => Date;

  constructor(options: { now: () => Date }) {
    this.#now = options.now;
  }

  register(http: FakeHttpServer): void {
    http.route('POST', SECRETS, (r) => this.#create(r));
    http.route('GET', SECRETS, (r) => this.#list(r));
    http.route('GET', SECRET, (r) => structuredClone(this.#secret(r.params[0]!).secret));
    http.route('PATCH', SECRET, (r) => this.#patch(r));
    http.route('POST', ADD_VERSION, (r) => this.#add(r));
    http.route('GET', VERSIONS, (r) => this.#versions(r));
    http.route('GET', VERSION, (r) => this.#view(this.#version(r.params[0]!, r.params[1]!)));
    // versions.access is a GET; enable, disable and destroy are POSTs.
    http.route('GET', VERSION_ACTION, (r) => {
      if (r.params[2] !== 'access')
        throw new FakeGoogleError('NOT_FOUND', `No GET route for :${r.params[2]}.`);
      return this.#action(r);
    });
    http.route('POST', VERSION_ACTION, (r) => {
      if (r.params[2] === 'access') throw new FakeGoogleError('NOT_FOUND', 'versions.access is a GET.');
      return this.#action(r);
    });
    http.route('POST', /^\/v1\/(projects\/[^/]+\/secrets\/[^/:]+):(setIamPolicy|getIamPolicy)$/, (r) =>
      this.#iam(r),
    );
  }

  readonly policies = new Map<string, unknown>();

  #iam(r: FakeRequest): unknown {
    const name = r.params[0]!;
    this.#secret(name);
    if (r.params[1] === 'getIamPolicy') return this.policies.get(name) ?? { version: 1, etag: 'BwAA' };
    const body = requireObject(r.body, 'SetIamPolicyRequest');
    const policy = { ...(body.policy as object), etag: `BwA${this.policies.size + 1}` };
    this.policies.set(name, policy);
    return policy;
  }

  #nowIso(): string {
    return this.#now().toISOString();
  }

  #secret(name: string): SecretState {
    const s = this.secrets.get(name);
    if (!s) throw new FakeGoogleError('NOT_FOUND', `Secret [${name}] not found or has no versions.`);
    this.#expire(s);
    return s;
  }

  /** Delayed destruction: versions whose scheduledDestroyTime passed are destroyed on the next read. */
  #expire(s: SecretState): void {
    const now = this.#now().getTime();
    for (const v of s.versions.values()) {
      const at = v.resource.scheduledDestroyTime;
      if (at && new Date(at).getTime() <= now && v.resource.state !== 'DESTROYED') {
        v.resource.state = 'DESTROYED';
        v.resource.destroyTime = at;
        delete v.resource.scheduledDestroyTime;
        delete v.data;
      }
    }
  }

  #create(r: FakeRequest): unknown {
    const project = r.params[0]!;
    const id = r.query.get('secretId');
    if (!id || !/^[a-zA-Z0-9_-]{1,255}$/.test(id))
      throw new FakeGoogleError('INVALID_ARGUMENT', `Invalid secretId ${id ?? '(missing)'}.`);
    const name = `projects/${project}/secrets/${id}`;
    if (this.secrets.has(name))
      throw new FakeGoogleError('ALREADY_EXISTS', `Secret [${name}] already exists.`);
    const body = requireObject(r.body ?? {}, 'Secret');
    if (!body.replication) throw new FakeGoogleError('INVALID_ARGUMENT', 'Secret.replication is required.');
    if (body.versionDestroyTtl !== undefined && seconds(String(body.versionDestroyTtl)) < 86_400)
      throw new FakeGoogleError('INVALID_ARGUMENT', 'version_destroy_ttl must be at least 1 day.');
    const secret: SmSecret = {
      name,
      replication: body.replication,
      createTime: this.#nowIso(),
      ...(body.labels ? { labels: body.labels as Record<string, string> } : {}),
      ...(body.annotations ? { annotations: body.annotations as Record<string, string> } : {}),
      ...(body.versionDestroyTtl ? { versionDestroyTtl: String(body.versionDestroyTtl) } : {}),
      etag: '"1"',
    };
    this.secrets.set(name, { secret, versions: new Map(), next: 1, generation: 1 });
    return structuredClone(secret);
  }

  #list(r: FakeRequest): unknown {
    const project = r.params[0]!;
    const filter = r.query.get('filter') ?? '';
    const clauses = [...filter.matchAll(/labels\.([a-z0-9_-]+)\s*[=:]\s*"?([a-z0-9_-]*)"?/g)].map(
      (m) => [m[1]!, m[2]!] as const,
    );
    const all = [...this.secrets.values()]
      .filter((s) => s.secret.name.startsWith(`projects/${project}/secrets/`))
      .filter((s) => clauses.every(([k, v]) => s.secret.labels?.[k] === v))
      .map((s) => structuredClone(s.secret));
    const pageSize = Math.min(Number(r.query.get('pageSize') ?? '25') || 25, 25000);
    const start = Number(r.query.get('pageToken') ?? '0') || 0;
    return {
      secrets: all.slice(start, start + pageSize),
      totalSize: all.length,
      ...(start + pageSize < all.length ? { nextPageToken: String(start + pageSize) } : {}),
    };
  }

  #patch(r: FakeRequest): unknown {
    const s = this.#secret(r.params[0]!);
    const body = requireObject(r.body, 'Secret');
    if (body.etag !== undefined && body.etag !== s.secret.etag)
      throw new FakeGoogleError(
        'ABORTED',
        `The etag provided (${String(body.etag)}) does not match the current etag of the secret.`,
      );
    const mask = (r.query.get('updateMask') ?? '').split(',').filter(Boolean);
    if (mask.length === 0) throw new FakeGoogleError('INVALID_ARGUMENT', 'update_mask is required.');
    for (const field of mask) {
      if (field === 'labels') s.secret.labels = (body.labels as Record<string, string>) ?? {};
      else if (field === 'annotations')
        s.secret.annotations = (body.annotations as Record<string, string>) ?? {};
      else if (field === 'version_destroy_ttl' || field === 'versionDestroyTtl') {
        if (body.versionDestroyTtl) s.secret.versionDestroyTtl = String(body.versionDestroyTtl);
        else delete s.secret.versionDestroyTtl;
      } else throw new FakeGoogleError('INVALID_ARGUMENT', `Unsupported update_mask path ${field}.`);
    }
    const annotationBytes = Object.entries(s.secret.annotations ?? {}).reduce(
      (n, [k, v]) => n + k.length + v.length,
      0,
    );
    if (annotationBytes > 16_384)
      throw new FakeGoogleError(
        'INVALID_ARGUMENT',
        'The total size of annotation keys and values must be less than 16KiB.',
      );
    s.generation += 1;
    s.secret.etag = `"${s.generation}"`;
    return structuredClone(s.secret);
  }

  #add(r: FakeRequest): unknown {
    const s = this.#secret(r.params[0]!);
    const body = requireObject(r.body, 'AddSecretVersionRequest');
    const data = (body.payload as { data?: string } | undefined)?.data;
    if (typeof data !== 'string') throw new FakeGoogleError('INVALID_ARGUMENT', 'payload.data is required.');
    if (Buffer.from(data, 'base64').length > 65_536)
      throw new FakeGoogleError('INVALID_ARGUMENT', 'Secret payload data exceeds the 64 KiB limit.');
    const n = s.next++;
    const resource: SmVersion = {
      name: `${s.secret.name}/versions/${n}`,
      createTime: this.#nowIso(),
      state: 'ENABLED',
      etag: `"v${n}-1"`,
    };
    s.versions.set(n, { resource, data });
    return structuredClone(resource);
  }

  #versions(r: FakeRequest): unknown {
    const s = this.#secret(r.params[0]!);
    const filter = r.query.get('filter') ?? '';
    const state = /state:(ENABLED|DISABLED|DESTROYED)/.exec(filter)?.[1];
    // Secret Manager lists newest first.
    const all = [...s.versions.values()]
      .map((v) => v.resource)
      .filter((v) => !state || v.state === state)
      .sort((a, b) => Number(b.name.split('/').pop()) - Number(a.name.split('/').pop()))
      .map((v) => structuredClone(v));
    const pageSize = Number(r.query.get('pageSize') ?? '25') || 25;
    const start = Number(r.query.get('pageToken') ?? '0') || 0;
    return {
      versions: all.slice(start, start + pageSize),
      totalSize: all.length,
      ...(start + pageSize < all.length ? { nextPageToken: String(start + pageSize) } : {}),
    };
  }

  #version(secretName: string, id: string): { resource: SmVersion; data?: string } {
    const s = this.#secret(secretName);
    const n = id === 'latest' ? s.next - 1 : Number(id);
    const v = Number.isInteger(n) ? s.versions.get(n) : undefined;
    if (!v)
      throw new FakeGoogleError('NOT_FOUND', `Secret Version [${secretName}/versions/${id}] not found.`);
    return v;
  }

  #view(v: { resource: SmVersion }): SmVersion {
    return structuredClone(v.resource);
  }

  #action(r: FakeRequest): unknown {
    const [secretName, id, action] = r.params as [string, string, string];
    const s = this.#secret(secretName);
    const v = this.#version(secretName, id);
    const body = (r.body ?? {}) as { etag?: string };
    if (action === 'access') {
      if (v.resource.state !== 'ENABLED')
        throw new FakeGoogleError(
          'FAILED_PRECONDITION',
          `Secret Version [${v.resource.name}] is in ${v.resource.state} state.`,
        );
      return {
        name: v.resource.name,
        payload: { data: v.data, dataCrc32c: String(crc32c(Buffer.from(v.data ?? '', 'base64'))) },
      };
    }
    if (body.etag !== undefined && body.etag !== v.resource.etag)
      throw new FakeGoogleError(
        'ABORTED',
        'The etag provided does not match the current etag of the secret version.',
      );
    if (v.resource.state === 'DESTROYED')
      throw new FakeGoogleError(
        'FAILED_PRECONDITION',
        `Secret Version [${v.resource.name}] is in DESTROYED state.`,
      );
    const bump = () => {
      const [prefix, gen] = v.resource.etag.replace(/"/g, '').split('-');
      v.resource.etag = `"${prefix}-${Number(gen) + 1}"`;
    };
    if (action === 'enable') {
      v.resource.state = 'ENABLED';
      delete v.resource.scheduledDestroyTime;
    } else if (action === 'disable') {
      v.resource.state = 'DISABLED';
      delete v.resource.scheduledDestroyTime;
    } else if (s.secret.versionDestroyTtl) {
      v.resource.state = 'DISABLED';
      v.resource.scheduledDestroyTime = new Date(
        this.#now().getTime() + seconds(s.secret.versionDestroyTtl) * 1000,
      ).toISOString();
    } else {
      v.resource.state = 'DESTROYED';
      v.resource.destroyTime = this.#nowIso();
      delete v.data;
    }
    bump();
    return this.#view(v);
  }
}
