import type { FakeHttpServer, FakeReply, FakeRequest } from './fake-http.js';
import { FakeGoogleError, requireObject } from './fake-http.js';

/** Cloud Run Admin API v2 JSON, as the REST reference spells it (enums as strings, int64 as strings). */
export interface RunCondition {
  type: string;
  state:
    | 'STATE_UNSPECIFIED'
    | 'CONDITION_PENDING'
    | 'CONDITION_RECONCILING'
    | 'CONDITION_FAILED'
    | 'CONDITION_SUCCEEDED';
  message?: string;
  lastTransitionTime?: string;
  severity?: 'ERROR' | 'WARNING' | 'INFO';
  reason?: string;
  revisionReason?: string;
}

export interface RunTrafficTarget {
  type?:
    | 'TRAFFIC_TARGET_ALLOCATION_TYPE_UNSPECIFIED'
    | 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST'
    | 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION';
  revision?: string;
  percent?: number;
  tag?: string;
}

export interface RunTrafficStatus extends RunTrafficTarget {
  uri?: string;
}

export interface RunContainer {
  image: string;
  env?: {
    name: string;
    value?: string;
    valueSource?: { secretKeyRef: { secret: string; version: string } };
  }[];
  [key: string]: unknown;
}

export interface RunTemplate {
  revision?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  containers: RunContainer[];
  serviceAccount?: string;
  [key: string]: unknown;
}

export interface RunService {
  name: string;
  uid: string;
  generation: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  createTime: string;
  updateTime: string;
  template: RunTemplate;
  traffic: RunTrafficTarget[];
  observedGeneration: string;
  terminalCondition: RunCondition;
  conditions: RunCondition[];
  latestReadyRevision?: string;
  latestCreatedRevision?: string;
  trafficStatuses: RunTrafficStatus[];
  uri: string;
  reconciling: boolean;
  etag: string;
}

export interface RunRevision {
  name: string;
  uid: string;
  generation: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  createTime: string;
  service: string;
  containers: RunContainer[];
  serviceAccount?: string;
  conditions: RunCondition[];
  observedGeneration: string;
  reconciling: boolean;
  etag: string;
  logUri?: string;
}

interface RevisionState {
  resource: RunRevision;
  /** GETs left before the revision resolves. */
  pollsLeft: number;
  healthy: boolean;
  /** The service update waiting on this revision. */
  operation?: string;
  previousTraffic?: RunTrafficTarget[];
}

interface OperationState {
  name: string;
  done: boolean;
  pollsLeft: number;
  service: string;
  error?: { code: number; message: string };
  waitsFor?: string;
  /** Applied once when the operation finishes. */
  finish?: () => void;
}

export interface FakeCloudRunOptions {
  /** Polls of a revision (or its operation) before it resolves. */
  readyAfterPolls?: number;
  /** Polls of a traffic-only operation before it is done. */
  operationPolls?: number;
  /** A container image containing this marker never passes its startup probe. */
  unhealthyMarker?: string;
  now: () => Date;
}

const SERVICE = /^\/v2\/(projects\/([^/]+)\/locations\/([^/]+)\/services\/([^/:]+))$/;
const SERVICES = /^\/v2\/(projects\/[^/]+\/locations\/[^/]+)\/services$/;
const REVISIONS = /^\/v2\/(projects\/[^/]+\/locations\/[^/]+\/services\/[^/]+)\/revisions$/;
const REVISION = /^\/v2\/(projects\/[^/]+\/locations\/[^/]+\/services\/[^/]+\/revisions\/[^/]+)$/;
const OPERATION = /^\/v2\/(projects\/[^/]+\/locations\/[^/]+\/operations\/[^/]+)$/;

const REVISION_TYPE = 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION';
const LATEST_TYPE = 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST';

function shortName(full: string): string {
  return full.split('/').pop()!;
}

function randomSuffix(n: number): string {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  let out = '';
  let x = n * 7919 + 13;
  for (let i = 0; i < 3; i++) {
    out += letters[x % 26];
    x = Math.floor(x / 26) + 31 * (i + 1);
  }
  return out;
}

/**
 * Services, revisions and long-running operations of the Cloud Run Admin API v2. Updates follow the
 * documented semantics: `updateMask` limits what changes (no mask = the body is the whole service),
 * a stale `etag` is refused with 409 ABORTED, a new template makes a new revision named
 * `template.revision` or `<service>-<5 digits>-<3 letters>`, and traffic naming a revision that fails
 * its startup probe fails the operation and leaves traffic as it was.
 */
export class FakeCloudRun {
  readonly services = new Map<string, RunService>();
  readonly revisions = new Map<string, RevisionState>();
  readonly operations = new Map<string, OperationState>();
  readonly #options: Required<Omit<FakeCloudRunOptions, 'now'>> & { now: () => Date };
  #counter = 0;
  #baseUrl = '';
  /** Answers served at revision tag URLs: tag URL path → status. */
  readonly appRequests: { service: string; tag: string; path: string; status: number }[] = [];
  /** Revisions (short names) that answer 500 on every app request (a bad release). */
  readonly failingRevisions = new Set<string>();
  /** The next N revisions created answer 500 on every request (a bad release whose name is not known yet). */
  failNextRevisions = 0;
  /** Called for every request the "app" serves, as Cloud Run would count it in request_count. */
  onAppRequest: ((service: string, revision: string, status: number, location: string) => void) | undefined;

  constructor(options: FakeCloudRunOptions) {
    this.#options = {
      readyAfterPolls: options.readyAfterPolls ?? 1,
      operationPolls: options.operationPolls ?? 1,
      unhealthyMarker: options.unhealthyMarker ?? 'unhealthy',
      now: options.now,
    };
  }

  register(http: FakeHttpServer): void {
    this.#baseUrl = http.url;
    http.route('GET', SERVICE, (r) => this.#view(this.#service(r.params[0]!)));
    http.route('GET', SERVICES, (r) => ({
      services: [...this.services.values()]
        .filter((s) => s.name.startsWith(`${r.params[0]}/`))
        .map((s) => this.#view(s)),
    }));
    http.route('POST', SERVICES, (r) => this.#create(r));
    http.route('PATCH', SERVICE, (r) => this.#patch(r));
    http.route('GET', REVISIONS, (r) => this.#listRevisions(r));
    http.route('GET', REVISION, (r) => this.#getRevision(r.params[0]!));
    http.route('DELETE', REVISION, (r) => this.#deleteRevision(r.params[0]!));
    http.route('GET', OPERATION, (r) => this.#getOperation(r.params[0]!));
    http.rawRoute('GET', /^\/__app\/([^/]+)\/([^/]+)(\/.*)?$/, (r) => this.#app(r));
  }

  now(): string {
    return this.#options.now().toISOString();
  }

  /** Seeds a service with one ready revision serving 100 % (what `gcloud run deploy` leaves behind). */
  seedService(fullName: string, template: RunTemplate): RunService {
    const [, project, location, id] = SERVICE.exec(`/v2/${fullName}`) ?? [];
    if (!project || !location || !id) throw new Error(`bad service name ${fullName}`);
    const service = this.#newService(fullName, template);
    const rev = this.#newRevision(service, template);
    rev.pollsLeft = 0;
    this.#resolveRevision(rev);
    service.traffic = [{ type: LATEST_TYPE, percent: 100 }];
    this.#settle(service);
    return service;
  }

  #newService(fullName: string, template: RunTemplate): RunService {
    const id = shortName(fullName);
    const now = this.now();
    const service: RunService = {
      name: fullName,
      uid: `uid-${id}`,
      generation: '1',
      labels: {},
      annotations: {},
      createTime: now,
      updateTime: now,
      template: structuredClone({ ...template, revision: undefined }),
      traffic: [{ type: LATEST_TYPE, percent: 100 }],
      observedGeneration: '1',
      terminalCondition: { type: 'Ready', state: 'CONDITION_SUCCEEDED', lastTransitionTime: now },
      conditions: [],
      trafficStatuses: [],
      uri: `${this.#baseUrl}/__app/${id}/-`,
      reconciling: false,
      etag: `"${id}-1"`,
    };
    delete service.template.revision;
    this.services.set(fullName, service);
    return service;
  }

  #service(name: string): RunService {
    const s = this.services.get(name);
    if (!s)
      throw new FakeGoogleError(
        'NOT_FOUND',
        `Resource '${shortName(name)}' of kind 'SERVICE' in region '${name.split('/')[3]}' in project '${name.split('/')[1]}' does not exist.`,
      );
    return s;
  }

  #view(s: RunService): RunService {
    return structuredClone(s);
  }

  #create(r: FakeRequest): unknown {
    const parent = r.params[0]!;
    const id = r.query.get('serviceId');
    if (!id) throw new FakeGoogleError('INVALID_ARGUMENT', 'serviceId is required.');
    const name = `${parent}/services/${id}`;
    if (this.services.has(name))
      throw new FakeGoogleError('ALREADY_EXISTS', `Resource '${id}' already exists.`);
    const body = requireObject(r.body, 'Service');
    const template = body.template as RunTemplate | undefined;
    if (!template?.containers?.length)
      throw new FakeGoogleError('INVALID_ARGUMENT', 'template.containers is required.');
    if (r.query.get('validateOnly') === 'true') return this.#operation(name, true);
    const service = this.#newService(name, template);
    service.labels = (body.labels as Record<string, string>) ?? {};
    service.annotations = (body.annotations as Record<string, string>) ?? {};
    const rev = this.#newRevision(service, template);
    service.traffic = (body.traffic as RunTrafficTarget[]) ?? [{ type: LATEST_TYPE, percent: 100 }];
    return this.#pendingOnRevision(service, rev, []);
  }

  #patch(r: FakeRequest): unknown {
    const name = r.params[0]!;
    const service = this.#service(name);
    const body = requireObject(r.body, 'Service') as Partial<RunService>;
    if (body.etag !== undefined && body.etag !== service.etag)
      throw new FakeGoogleError(
        'ABORTED',
        `etag mismatch: the service changed since it was read (sent ${body.etag}, current ${service.etag}).`,
      );
    const maskParam = r.query.get('updateMask');
    const mask = maskParam
      ? maskParam.split(',').map((m) => m.trim())
      : ['template', 'traffic', 'labels', 'annotations'];
    for (const field of mask)
      if (
        !['template', 'traffic', 'labels', 'annotations', 'scaling', 'ingress', 'description'].includes(
          field.split('.')[0]!,
        )
      )
        throw new FakeGoogleError('INVALID_ARGUMENT', `Invalid update mask path: ${field}.`);
    const wantsTemplate = mask.some((m) => m.startsWith('template'));
    const wantsTraffic = mask.includes('traffic');
    const template = wantsTemplate ? body.template : service.template;
    if (wantsTemplate && !template?.containers?.length)
      throw new FakeGoogleError(
        'INVALID_ARGUMENT',
        'template.containers: at least one container is required.',
      );
    const traffic = wantsTraffic ? (body.traffic ?? []) : service.traffic;
    // Validate before changing anything.
    const newRevisionName = wantsTemplate && template ? this.#nextRevisionName(service, template) : undefined;
    this.#validateTraffic(service, traffic, newRevisionName);
    if (r.query.get('validateOnly') === 'true') return this.#operation(name, true);
    const previousTraffic = structuredClone(service.traffic);
    if (mask.includes('labels')) service.labels = body.labels ?? {};
    if (mask.includes('annotations')) service.annotations = body.annotations ?? {};
    service.generation = String(Number(service.generation) + 1);
    service.etag = `"${shortName(name)}-${service.generation}"`;
    service.updateTime = this.now();
    if (wantsTraffic) service.traffic = structuredClone(traffic);
    if (newRevisionName && template) {
      service.template = structuredClone({ ...template });
      delete service.template.revision;
      const rev = this.#newRevision(service, { ...template, revision: newRevisionName });
      return this.#pendingOnRevision(service, rev, previousTraffic);
    }
    const op = this.#operation(name, false);
    const state = this.operations.get(op.name)!;
    service.reconciling = true;
    state.finish = () => this.#settle(service);
    return op;
  }

  #nextRevisionName(service: RunService, template: RunTemplate): string | undefined {
    const id = shortName(service.name);
    if (template.revision) {
      if (!template.revision.startsWith(`${id}-`))
        throw new FakeGoogleError(
          'INVALID_ARGUMENT',
          `Revision name ${template.revision} must be prefixed by the service name '${id}-'.`,
        );
      if (template.revision.length > 63 || !/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(template.revision))
        throw new FakeGoogleError('INVALID_ARGUMENT', `Invalid revision name ${template.revision}.`);
      if (this.revisions.has(`${service.name}/revisions/${template.revision}`))
        throw new FakeGoogleError(
          'ALREADY_EXISTS',
          `Revision named '${template.revision}' with different configuration already exists.`,
        );
      return template.revision;
    }
    const same =
      JSON.stringify({ ...service.template, revision: undefined }) ===
      JSON.stringify({ ...template, revision: undefined });
    if (same) return undefined; // no perceived change: no new revision
    return this.#autoName(service);
  }

  #autoName(service: RunService): string {
    this.#counter += 1;
    return `${shortName(service.name)}-${String(this.#counter).padStart(5, '0')}-${randomSuffix(this.#counter)}`;
  }

  #validateTraffic(
    service: RunService,
    traffic: RunTrafficTarget[],
    pendingRevision: string | undefined,
  ): void {
    if (traffic.length === 0) return;
    let sum = 0;
    const tags = new Set<string>();
    for (const t of traffic) {
      const percent = t.percent ?? 0;
      if (!Number.isInteger(percent) || percent < 0 || percent > 100)
        throw new FakeGoogleError(
          'INVALID_ARGUMENT',
          `Traffic percent must be between 0 and 100, got ${percent}.`,
        );
      sum += percent;
      if (t.tag) {
        if (tags.has(t.tag))
          throw new FakeGoogleError('INVALID_ARGUMENT', `Duplicate traffic tag '${t.tag}'.`);
        if (!/^[a-z]([-a-z0-9]{0,44}[a-z0-9])?$/.test(t.tag))
          throw new FakeGoogleError('INVALID_ARGUMENT', `Invalid traffic tag '${t.tag}'.`);
        tags.add(t.tag);
      }
      if (t.type === LATEST_TYPE) continue;
      if (t.type !== REVISION_TYPE)
        throw new FakeGoogleError(
          'INVALID_ARGUMENT',
          `traffic.type must be TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION or _LATEST, got ${t.type}.`,
        );
      if (!t.revision)
        throw new FakeGoogleError('INVALID_ARGUMENT', 'traffic.revision is required for type REVISION.');
      if (t.revision === pendingRevision) continue;
      const rev = this.revisions.get(`${service.name}/revisions/${t.revision}`);
      if (!rev) throw new FakeGoogleError('NOT_FOUND', `Revision '${t.revision}' does not exist.`);
      const ready = rev.resource.conditions.find((c) => c.type === 'Ready');
      if (percent > 0 && ready?.state !== 'CONDITION_SUCCEEDED')
        throw new FakeGoogleError(
          'FAILED_PRECONDITION',
          `Revision '${t.revision}' is not ready and cannot serve traffic.`,
        );
    }
    if (sum !== 100)
      throw new FakeGoogleError('INVALID_ARGUMENT', `Traffic percentages must add up to 100, got ${sum}.`);
  }

  #newRevision(service: RunService, template: RunTemplate): RevisionState {
    const name = template.revision ?? this.#autoName(service);
    const full = `${service.name}/revisions/${name}`;
    const now = this.now();
    const healthy = !template.containers.some((c) => c.image.includes(this.#options.unhealthyMarker));
    const state: RevisionState = {
      resource: {
        name: full,
        uid: `uid-${name}`,
        generation: '1',
        labels: { ...(template.labels ?? {}) },
        annotations: { ...(template.annotations ?? {}) },
        createTime: now,
        service: shortName(service.name),
        containers: structuredClone(template.containers),
        ...(template.serviceAccount ? { serviceAccount: template.serviceAccount } : {}),
        conditions: [
          {
            type: 'Ready',
            state: 'CONDITION_RECONCILING',
            lastTransitionTime: now,
            revisionReason: 'PENDING',
          },
          { type: 'ContainerHealthy', state: 'CONDITION_RECONCILING', lastTransitionTime: now },
        ],
        observedGeneration: '1',
        reconciling: true,
        etag: `"${name}"`,
      },
      pollsLeft: this.#options.readyAfterPolls,
      healthy,
    };
    this.revisions.set(full, state);
    service.latestCreatedRevision = full;
    if (this.failNextRevisions > 0) {
      this.failNextRevisions -= 1;
      this.failingRevisions.add(name);
    }
    return state;
  }

  #pendingOnRevision(service: RunService, rev: RevisionState, previousTraffic: RunTrafficTarget[]): unknown {
    const op = this.#operation(service.name, false);
    const state = this.operations.get(op.name)!;
    state.waitsFor = rev.resource.name;
    rev.operation = op.name;
    rev.previousTraffic = previousTraffic;
    service.reconciling = true;
    service.terminalCondition = {
      type: 'Ready',
      state: 'CONDITION_RECONCILING',
      lastTransitionTime: this.now(),
    };
    return op;
  }

  #operation(serviceName: string, done: boolean): { name: string; done: boolean; metadata: unknown } {
    this.#counter += 1;
    const location = serviceName.split('/').slice(0, 4).join('/');
    const name = `${location}/operations/op-${this.#counter}`;
    this.operations.set(name, { name, done, pollsLeft: this.#options.operationPolls, service: serviceName });
    return {
      name,
      done,
      metadata: { '@type': 'type.googleapis.com/google.cloud.run.v2.Service', name: serviceName },
    };
  }

  #resolveRevision(rev: RevisionState): void {
    const now = this.now();
    rev.resource.reconciling = false;
    rev.resource.conditions = rev.healthy
      ? [
          { type: 'Ready', state: 'CONDITION_SUCCEEDED', lastTransitionTime: now },
          { type: 'ContainerHealthy', state: 'CONDITION_SUCCEEDED', lastTransitionTime: now },
        ]
      : [
          {
            type: 'Ready',
            state: 'CONDITION_FAILED',
            lastTransitionTime: now,
            severity: 'ERROR',
            revisionReason: 'HEALTH_CHECK_CONTAINER_ERROR',
            message:
              'The user-provided container failed to start and listen on the port defined provided by the PORT=8080 environment variable within the allocated timeout.',
          },
          { type: 'ContainerHealthy', state: 'CONDITION_FAILED', lastTransitionTime: now, severity: 'ERROR' },
        ];
    const service = this.services.get(rev.resource.name.split('/revisions/')[0]!);
    if (!service) return;
    if (rev.healthy) service.latestReadyRevision = rev.resource.name;
    if (rev.operation) {
      const op = this.operations.get(rev.operation);
      if (op && !op.done) {
        op.done = true;
        if (!rev.healthy) {
          op.error = {
            code: 9,
            message: `Revision '${shortName(rev.resource.name)}' is not ready and cannot serve traffic. ${rev.resource.conditions[0]!.message}`,
          };
          service.traffic = rev.previousTraffic ?? service.traffic;
          service.reconciling = false;
          service.terminalCondition = {
            type: 'Ready',
            state: 'CONDITION_FAILED',
            severity: 'ERROR',
            lastTransitionTime: now,
            message: op.error.message,
          };
          this.#statuses(service);
        } else this.#settle(service);
      }
    }
  }

  /** Work the fake does "in the background": each observation moves pending revisions and operations on. */
  #tick(): void {
    for (const rev of this.revisions.values()) {
      if (!rev.resource.reconciling) continue;
      rev.pollsLeft -= 1;
      if (rev.pollsLeft <= 0) this.#resolveRevision(rev);
    }
    for (const op of this.operations.values()) {
      if (op.done || op.waitsFor) continue;
      op.pollsLeft -= 1;
      if (op.pollsLeft <= 0) {
        op.done = true;
        op.finish?.();
      }
    }
  }

  #settle(service: RunService): void {
    service.reconciling = false;
    service.observedGeneration = service.generation;
    service.terminalCondition = {
      type: 'Ready',
      state: 'CONDITION_SUCCEEDED',
      lastTransitionTime: this.now(),
    };
    this.#statuses(service);
  }

  #statuses(service: RunService): void {
    const id = shortName(service.name);
    service.trafficStatuses = service.traffic.map((t) => {
      const revision = t.type === LATEST_TYPE ? shortName(service.latestReadyRevision ?? '') : t.revision;
      return {
        type: t.type ?? REVISION_TYPE,
        ...(revision ? { revision } : {}),
        ...(t.percent ? { percent: t.percent } : {}),
        ...(t.tag ? { tag: t.tag, uri: `${this.#baseUrl}/__app/${id}/${t.tag}` } : {}),
      };
    });
  }

  #getOperation(name: string): unknown {
    this.#tick();
    const op = this.operations.get(name);
    if (!op) throw new FakeGoogleError('NOT_FOUND', `Operation ${name} not found.`);
    const service = this.services.get(op.service);
    return {
      name: op.name,
      done: op.done,
      metadata: { '@type': 'type.googleapis.com/google.cloud.run.v2.Service', name: op.service },
      ...(op.done && op.error ? { error: op.error } : {}),
      ...(op.done && !op.error && service
        ? { response: { '@type': 'type.googleapis.com/google.cloud.run.v2.Service', ...this.#view(service) } }
        : {}),
    };
  }

  #getRevision(name: string): unknown {
    this.#tick();
    const rev = this.revisions.get(name);
    if (!rev) throw new FakeGoogleError('NOT_FOUND', `Revision ${shortName(name)} not found.`);
    return structuredClone(rev.resource);
  }

  #listRevisions(r: FakeRequest): unknown {
    this.#tick();
    const parent = r.params[0]!;
    this.#service(parent);
    const all = [...this.revisions.values()]
      .filter((rev) => rev.resource.name.startsWith(`${parent}/revisions/`))
      .map((rev) => structuredClone(rev.resource))
      .reverse();
    const pageSize = Number(r.query.get('pageSize') ?? '100') || 100;
    const start = Number(r.query.get('pageToken') ?? '0') || 0;
    const page = all.slice(start, start + pageSize);
    return {
      revisions: page,
      ...(start + pageSize < all.length ? { nextPageToken: String(start + pageSize) } : {}),
    };
  }

  #deleteRevision(name: string): unknown {
    const rev = this.revisions.get(name);
    if (!rev) throw new FakeGoogleError('NOT_FOUND', `Revision ${shortName(name)} not found.`);
    const serviceName = name.split('/revisions/')[0]!;
    const service = this.#service(serviceName);
    if (service.trafficStatuses.some((t) => t.revision === shortName(name)))
      throw new FakeGoogleError(
        'FAILED_PRECONDITION',
        `Revision ${shortName(name)} is referenced by traffic and cannot be deleted.`,
      );
    this.revisions.delete(name);
    const op = this.#operation(serviceName, true);
    return { ...op, response: structuredClone(rev.resource) };
  }

  /** The app itself, reachable at tag URLs: health and smoke paths answer 200 unless the revision is bad. */
  #app(r: FakeRequest): FakeReply {
    const [serviceId, tag, path = '/'] = r.params as [string, string, string | undefined];
    const service = [...this.services.values()].find((s) => shortName(s.name) === serviceId);
    const target =
      tag === '-'
        ? service?.trafficStatuses.find((t) => (t.percent ?? 0) > 0)
        : service?.trafficStatuses.find((t) => t.tag === tag);
    // A bad release passes its smoke test (/version) but fails real traffic.
    const failing =
      target?.revision !== undefined && this.failingRevisions.has(target.revision) && path !== '/version';
    const status = !target?.revision ? 404 : failing ? 500 : 200;
    this.appRequests.push({ service: serviceId, tag, path, status });
    if (target?.revision && service)
      this.onAppRequest?.(serviceId, target.revision, status, service.name.split('/')[3]!);
    return { status, json: { revision: target?.revision ?? null, path } };
  }
}
