import { randomBytes } from 'node:crypto';
import type { Clock } from '../../kernel/clock.js';
import { isProdguardError, ProdguardError } from '../../kernel/errors.js';
import { planTraffic } from '../../platform/local/plan-traffic.js';
import { platformError, revisionNotFound } from '../../platform/local/platform-errors.js';
import type {
  MaintenanceSettings,
  Platform,
  ReleaseRef,
  Revision,
  RevisionMetrics,
  RevisionSpec,
  RevisionState,
  Service,
  TrafficTarget,
} from '../../platform/platform.js';
import { readRunMetrics } from '../monitoring/read-run-metrics.js';
import { secretIdFor } from '../secret-manager/secret-id.js';
import {
  type GcpTransport,
  isGcpApiError,
  listAll,
  type RunOperation,
  waitRunOperation,
} from '../transport/index.js';
import {
  type RunContainer,
  type RunEnvVar,
  type RunRevision,
  type RunRevisionTemplate,
  type RunService,
  shortRevisionName,
} from './cloud-run-types.js';
import {
  currentTags,
  MAINTENANCE_TAG,
  planRunTraffic,
  revisionTag,
  servingTraffic,
  trafficMismatch,
} from './plan-run-traffic.js';

/** Where an environment runs on Cloud Run. */
export interface CloudRunBinding {
  project: string;
  region: string;
  /** Cloud Run service id. */
  service: string;
}

export interface CloudRunPlatformOptions {
  transport: GcpTransport;
  clock: Clock;
  /** Environment name (the Platform's service) → Cloud Run service. */
  environments: Readonly<Record<string, CloudRunBinding>>;
  /** The container image a release runs as, e.g. `europe-docker.pkg.dev/p/app/api:{commit}`. */
  image: (release: ReleaseRef, environment: string) => string;
  /** Image that answers 503 with the maintenance page (reads MAINTENANCE_MESSAGE / MAINTENANCE_UNTIL), per environment. */
  maintenanceImage?: string | ((environment: string) => string | undefined);
  /** Pause between polls of a revision or operation. */
  pollIntervalMs?: number;
  /** Longest a Cloud Run operation may take. */
  operationTimeoutMs?: number;
  /** Cloud Monitoring ingestion lag the metrics window ends before (default 180 s), per environment. */
  metricsLagMs?: number | ((environment: string) => number);
  /** Random suffixes for revision names (injected for deterministic tests). */
  randomLetters?: (n: number) => string;
}

/** Service annotations (v2 annotations are user-only) that carry prodguard's state on the service itself. */
export const ANNOTATION = Object.freeze({
  commit: 'prodguard.dev/commit',
  digest: 'prodguard.dev/digest',
  labels: 'prodguard.dev/labels',
  secrets: 'prodguard.dev/secrets',
  maintenance: 'prodguard.dev/maintenance',
  stopped: 'prodguard.dev/stopped',
  maintenanceMessage: 'prodguard.dev/maintenance-message',
});

interface MaintenanceRecord extends MaintenanceSettings {
  before: TrafficTarget[];
}

const MAX_CONFLICT_RETRIES = 3;

function letters(n: number): string {
  const abc = 'abcdefghijklmnopqrstuvwxyz';
  return [...randomBytes(n)].map((b) => abc[b % 26]).join('');
}

function parseJson<T>(text: string | undefined, fallback: T): T {
  if (!text) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/**
 * The Platform port over the Cloud Run Admin API v2. Each environment is one Cloud Run service; a
 * prodguard revision is a Cloud Run revision named explicitly (`<service>-<5 digits>-<3 letters>`),
 * deployed at 0 % with its own tag (`pg-…`) so smoke tests can reach it; traffic is always pinned by
 * revision name and replaced as a whole list with `updateMask` and `etag`.
 *
 * What Cloud Run cannot do the way the local agent does, and how it is mapped:
 * - "stopped": Cloud Run has no stop; an unrouted revision scales to zero by itself. prodguard records
 *   stopped revisions in a service annotation and refuses traffic to them until started again.
 * - restarts: not exposed by the Admin API; reported as 0 (crash loops show as a failed Ready condition).
 * - maintenance: a maintenance revision of the same service (Cloud Run cannot route to another
 *   service), tagged `maintenance`, switched to 100 % and back; the replaced split is kept in an
 *   annotation and restored exactly.
 */
export class CloudRunPlatform implements Platform {
  readonly #o: Required<Omit<CloudRunPlatformOptions, 'metricsLagMs' | 'maintenanceImage'>> &
    Pick<CloudRunPlatformOptions, 'metricsLagMs' | 'maintenanceImage'>;

  constructor(options: CloudRunPlatformOptions) {
    this.#o = {
      pollIntervalMs: 2_000,
      operationTimeoutMs: 15 * 60_000,
      randomLetters: letters,
      ...options,
    };
  }

  get transport(): GcpTransport {
    return this.#o.transport;
  }

  #binding(environment: string): CloudRunBinding {
    const b = this.#o.environments[environment];
    if (!b)
      throw platformError(
        'PRODGUARD_PLATFORM_SERVICE_NOT_FOUND',
        `No environment "${environment}" is bound to a Cloud Run service.`,
        {
          kind: 'usage',
          hint: `Known environments: ${Object.keys(this.#o.environments).join(', ') || '(none)'}. Set environments.${environment}.platform: { kind: cloudrun, project, region, service } in prodguard.yaml.`,
        },
      );
    return b;
  }

  #servicePath(b: CloudRunBinding): string {
    return `projects/${b.project}/locations/${b.region}/services/${b.service}`;
  }

  async #readService(environment: string): Promise<RunService> {
    const b = this.#binding(environment);
    try {
      return await this.#o.transport.request<RunService>({
        api: 'run',
        method: 'GET',
        path: `/v2/${this.#servicePath(b)}`,
      });
    } catch (error) {
      if (isGcpApiError(error) && error.httpStatus === 404)
        throw platformError(
          'PRODGUARD_PLATFORM_SERVICE_NOT_FOUND',
          `Cloud Run service ${b.service} does not exist in ${b.project}/${b.region} (environment ${environment}).`,
          {
            kind: 'usage',
            cause: error,
            hint: 'Create it once (gcloud run deploy, or `prodguard gcp setup-staging --apply` for staging); prodguard manages its revisions and traffic from then on.',
          },
        );
      throw error;
    }
  }

  #toService(environment: string, run: RunService): Service {
    const maintenance = parseJson<MaintenanceRecord | undefined>(
      run.annotations?.[ANNOTATION.maintenance],
      undefined,
    );
    if (maintenance) {
      const { before, ...settings } = maintenance;
      return {
        name: environment,
        url: run.uri ?? '',
        traffic: structuredClone(before),
        maintenance: settings,
        trafficBeforeMaintenance: structuredClone(before),
      };
    }
    return { name: environment, url: run.uri ?? '', traffic: servingTraffic(run) };
  }

  async listServices(): Promise<Service[]> {
    const out: Service[] = [];
    for (const environment of Object.keys(this.#o.environments)) out.push(await this.getService(environment));
    return out;
  }

  async getService(environment: string): Promise<Service> {
    return this.#toService(environment, await this.#readService(environment));
  }

  #stopped(run: RunService): Set<string> {
    return new Set(parseJson<string[]>(run.annotations?.[ANNOTATION.stopped], []));
  }

  #tagUrl(run: RunService, revision: string): string {
    const status = run.trafficStatuses?.find(
      (s) => s.revision === revision && s.tag && s.uri && s.tag !== MAINTENANCE_TAG,
    );
    if (status?.uri) return status.uri;
    // Another tag's URL with the tag swapped: how Cloud Run builds tag URLs, whatever the host form.
    const other = run.trafficStatuses?.find(
      (s) => s.tag && s.uri?.includes(s.tag) && s.tag !== MAINTENANCE_TAG,
    );
    if (other?.tag && other.uri) return other.uri.replace(other.tag, revisionTag(revision));
    const uri = run.uri ?? '';
    // Cloud Run tag URLs are https://<tag>---<service host>.
    const match = /^https:\/\/([^/]+\.run\.app)/.exec(uri);
    return match ? `https://${revisionTag(revision)}---${match[1]}` : uri;
  }

  #toRevision(environment: string, run: RunService, rev: RunRevision): Revision {
    const name = shortRevisionName(rev.name);
    const ready = rev.conditions?.find((c) => c.type === 'Ready');
    let state: RevisionState =
      ready?.state === 'CONDITION_SUCCEEDED'
        ? 'ready'
        : ready?.state === 'CONDITION_FAILED'
          ? 'failed'
          : 'starting';
    if (this.#stopped(run).has(name) && state !== 'failed') state = 'stopped';
    const a = rev.annotations ?? {};
    return {
      name,
      service: environment,
      release: { commit: a[ANNOTATION.commit] ?? '', digest: a[ANNOTATION.digest] ?? '' },
      createdAt: rev.createTime ?? '',
      state,
      url: this.#tagUrl(run, name),
      restarts: 0,
      secretVersions: parseJson<Record<string, number>>(a[ANNOTATION.secrets], {}),
      ...(state === 'failed' && ready?.message ? { failure: ready.message } : {}),
      labels: parseJson<Record<string, string>>(a[ANNOTATION.labels], {}),
    };
  }

  async #readRevision(environment: string, revision: string): Promise<RunRevision> {
    const b = this.#binding(environment);
    try {
      return await this.#o.transport.request<RunRevision>({
        api: 'run',
        method: 'GET',
        path: `/v2/${this.#servicePath(b)}/revisions/${revision}`,
      });
    } catch (error) {
      if (isGcpApiError(error) && error.httpStatus === 404) throw revisionNotFound(environment, revision);
      throw error;
    }
  }

  async listRevisions(environment: string): Promise<Revision[]> {
    const b = this.#binding(environment);
    const run = await this.#readService(environment);
    const revisions = await listAll(async (pageToken) => {
      const page = await this.#o.transport.request<{ revisions?: RunRevision[]; nextPageToken?: string }>({
        api: 'run',
        method: 'GET',
        path: `/v2/${this.#servicePath(b)}/revisions`,
        query: { pageSize: 100, pageToken },
      });
      return { items: page.revisions, nextPageToken: page.nextPageToken };
    });
    return revisions
      .filter((r) => r.annotations?.[ANNOTATION.maintenanceMessage] === undefined)
      .map((r) => this.#toRevision(environment, run, r))
      .sort((x, y) => x.name.localeCompare(y.name));
  }

  async getRevision(environment: string, revision: string): Promise<Revision> {
    const run = await this.#readService(environment);
    return this.#toRevision(environment, run, await this.#readRevision(environment, revision));
  }

  #nextRevisionName(run: RunService, b: CloudRunBinding): string {
    const latest = shortRevisionName(run.latestCreatedRevision ?? '');
    const seq = Number(/-(\d{5})-[a-z]{3}$/.exec(latest)?.[1] ?? '0') + 1;
    return `${b.service}-${String(seq).padStart(5, '0')}-${this.#o.randomLetters(3)}`;
  }

  #template(
    run: RunService,
    name: string,
    container: Partial<RunContainer> & { image: string; env: RunEnvVar[] },
    annotations: Record<string, string>,
  ): RunRevisionTemplate {
    const base = structuredClone(run.template);
    const [first, ...rest] = base.containers;
    // Plain env vars set outside prodguard are kept; secret refs come only from prodguard's pins.
    // MAINTENANCE_* belong to the maintenance revision only (the service template may be its template).
    const kept = (first?.env ?? []).filter(
      (e) =>
        e.valueSource === undefined &&
        !e.name.startsWith('MAINTENANCE_') &&
        !container.env.some((c) => c.name === e.name),
    );
    return {
      ...base,
      revision: name,
      annotations: { ...annotations },
      containers: [{ ...(first ?? {}), ...container, env: [...kept, ...container.env] }, ...rest],
    };
  }

  /**
   * One masked PATCH with the service's etag. On 409 ABORTED (someone changed the service between our
   * read and write) it re-reads and retries only if the traffic it planned from is still the same;
   * otherwise it stops rather than overwrite the other change.
   */
  async #patch(
    environment: string,
    build: (run: RunService) => { mask: string[]; body: Partial<RunService> },
    first?: RunService,
  ): Promise<RunService> {
    const b = this.#binding(environment);
    let run = first ?? (await this.#readService(environment));
    for (let attempt = 1; ; attempt++) {
      const { mask, body } = build(run);
      try {
        const op = await this.#o.transport.request<RunOperation<RunService>>({
          api: 'run',
          method: 'PATCH',
          path: `/v2/${this.#servicePath(b)}`,
          query: { updateMask: mask.join(',') },
          body: { ...body, etag: run.etag },
        });
        return await waitRunOperation<RunService>(this.#o.transport, op, this.#poll());
      } catch (error) {
        if (
          !(isProdguardError(error) && error.code === 'PRODGUARD_GCP_CONFLICT') ||
          attempt >= MAX_CONFLICT_RETRIES
        )
          throw error;
        const fresh = await this.#readService(environment);
        if (JSON.stringify(fresh.traffic) !== JSON.stringify(run.traffic))
          throw new ProdguardError(
            'PRODGUARD_GCP_CONFLICT',
            `The traffic of Cloud Run service ${b.service} changed while prodguard was updating it.`,
            {
              cause: error,
              hint: 'Someone else is moving traffic (console, gcloud, another pipeline). Check `prodguard status`, then re-run.',
            },
          );
        run = fresh;
      }
    }
  }

  #poll() {
    return {
      clock: this.#o.clock,
      timeoutMs: this.#o.operationTimeoutMs,
      intervalMs: this.#o.pollIntervalMs,
      maxIntervalMs: Math.max(this.#o.pollIntervalMs, 10_000),
    };
  }

  async createRevision(spec: RevisionSpec): Promise<Revision> {
    const environment = spec.service;
    const b = this.#binding(environment);
    const run = await this.#readService(environment);
    const name = this.#nextRevisionName(run, b);
    const env: RunEnvVar[] = Object.entries(spec.env).map(([k, value]) => ({ name: k, value }));
    const pins: Record<string, number> = {};
    for (const [secret, { version, envVar }] of Object.entries(spec.secrets ?? {})) {
      pins[secret] = version;
      env.push({
        name: envVar,
        valueSource: { secretKeyRef: { secret: secretIdFor(secret, environment), version: String(version) } },
      });
    }
    const template = this.#template(
      run,
      name,
      { image: this.#o.image(spec.release, environment), env },
      {
        [ANNOTATION.commit]: spec.release.commit,
        [ANNOTATION.digest]: spec.release.digest,
        [ANNOTATION.labels]: JSON.stringify(spec.labels ?? {}),
        [ANNOTATION.secrets]: JSON.stringify(pins),
      },
    );
    const op = await this.#startTemplateUpdate(environment, run, template, revisionTag(name));
    let url = this.#tagUrl(run, name);
    if (url === (run.uri ?? '') && this.#o.transport.mode === 'live') {
      // The tag URL cannot be derived (a service URL not of the *.run.app form, and no other tag to
      // copy): wait for the update, whose trafficStatuses carry it. Smoke tests must never hit the
      // service URL, which serves the old revision.
      const done = await waitRunOperation<RunService>(this.#o.transport, op, this.#poll()).catch(
        () => undefined,
      );
      if (done) url = this.#tagUrl(done, name);
    }
    return {
      name,
      service: environment,
      release: { ...spec.release },
      createdAt: this.#o.clock.now().toISOString(),
      state: 'starting',
      url,
      restarts: 0,
      secretVersions: pins,
      labels: { ...(spec.labels ?? {}) },
    };
  }

  /**
   * PATCH updateMask=template,traffic: the new template names its revision; the traffic list pins
   * today's split by revision name and adds the new revision at 0 % under its tag. Does not wait: the
   * operation finishes when the revision is ready (or fails), which waitReady observes.
   */
  async #startTemplateUpdate(
    environment: string,
    run: RunService,
    template: RunRevisionTemplate,
    tag: string,
  ): Promise<RunOperation<RunService>> {
    const b = this.#binding(environment);
    const revision = template.revision!;
    // Today's routing, pinned by name (in maintenance that is the maintenance revision, and stays so).
    const split = servingTraffic(run);
    const existing = new Set([...currentTags(run).values(), ...split.map((t) => t.revision), revision]);
    const traffic = planRunTraffic(run, split, { existing, addTags: new Map([[tag, revision]]) });
    return this.#o.transport.request<RunOperation<RunService>>({
      api: 'run',
      method: 'PATCH',
      path: `/v2/${this.#servicePath(b)}`,
      query: { updateMask: 'template,traffic' },
      body: { template, traffic, etag: run.etag },
    });
  }

  async waitReady(
    environment: string,
    revision: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<Revision> {
    const started = this.#o.clock.nowMs();
    if (this.#o.transport.mode === 'plan') {
      // Planning: record the read the real run would poll, and assume it becomes ready.
      const run = await this.#readService(environment).catch(() => undefined);
      await this.#readRevision(environment, revision).catch(() => undefined);
      return {
        name: revision,
        service: environment,
        release: { commit: '', digest: '' },
        createdAt: this.#o.clock.now().toISOString(),
        state: 'ready',
        url: run ? this.#tagUrl(run, revision) : '',
        restarts: 0,
        secretVersions: {},
        labels: {},
      };
    }
    for (let i = 0; i < 100_000; i++) {
      const rev = await this.getRevision(environment, revision);
      if (rev.state === 'failed')
        throw platformError(
          'PRODGUARD_PLATFORM_NOT_READY',
          `Revision ${revision} failed on Cloud Run: ${rev.failure ?? 'Ready condition failed'}.`,
          {
            kind: 'failed',
            hint: `Read its logs with \`prodguard logs ${environment} --revision ${revision}\`.`,
          },
        );
      if (rev.state === 'ready') {
        const run = await this.#readService(environment);
        if (!run.reconciling)
          return this.#toRevision(environment, run, await this.#readRevision(environment, revision));
      }
      if (this.#o.clock.nowMs() - started + this.#o.pollIntervalMs > timeoutMs) break;
      await this.#o.clock.sleep(this.#o.pollIntervalMs, signal);
    }
    throw platformError(
      'PRODGUARD_PLATFORM_NOT_READY',
      `Revision ${revision} was not ready on Cloud Run within ${timeoutMs} ms.`,
      {
        kind: 'failed',
        hint: 'Check the revision in the Cloud Run console; its startup probe may be too strict.',
      },
    );
  }

  async #states(
    environment: string,
    run: RunService,
    names: readonly string[],
  ): Promise<Map<string, RevisionState>> {
    const states = new Map<string, RevisionState>();
    for (const name of new Set(names)) {
      try {
        states.set(
          name,
          this.#toRevision(environment, run, await this.#readRevision(environment, name)).state,
        );
      } catch (error) {
        if (!(isProdguardError(error) && error.code === 'PRODGUARD_PLATFORM_REVISION_NOT_FOUND')) throw error;
        // Planning: a revision the plan creates does not exist yet; the real run waits for it to be ready.
        if (this.#o.transport.mode === 'plan') states.set(name, 'ready');
      }
    }
    return states;
  }

  async setTraffic(environment: string, targets: TrafficTarget[]): Promise<Service> {
    const run = await this.#readService(environment);
    const states = await this.#states(
      environment,
      run,
      targets.map((t) => t.revision),
    );
    const planned = planTraffic(environment, targets, states);
    if ('error' in planned) throw planned.error;
    const wanted = planned.targets.filter((t) => t.percent > 0);
    const maintenance = parseJson<MaintenanceRecord | undefined>(
      run.annotations?.[ANNOTATION.maintenance],
      undefined,
    );
    if (maintenance) {
      // Routing stays on the maintenance revision; the split to restore afterwards becomes this one.
      const updated = await this.#patch(
        environment,
        (r) => ({
          mask: ['annotations'],
          body: {
            annotations: {
              ...r.annotations,
              [ANNOTATION.maintenance]: JSON.stringify({ ...maintenance, before: wanted }),
            },
          },
        }),
        run,
      );
      return this.#toService(environment, updated);
    }
    const updated = await this.#patch(
      environment,
      (r) => ({
        mask: ['traffic'],
        body: {
          traffic: planRunTraffic(r, wanted, {
            existing: new Set([...currentTags(r).values(), ...wanted.map((t) => t.revision)]),
          }),
        },
      }),
      run,
    );
    await this.#verify(environment, updated, wanted);
    return this.#toService(environment, this.#o.transport.mode === 'plan' ? { ...run, ...updated } : updated);
  }

  async #verify(environment: string, updated: RunService, wanted: readonly TrafficTarget[]): Promise<void> {
    if (this.#o.transport.mode === 'plan') return;
    const mismatch = trafficMismatch(updated, wanted);
    if (mismatch)
      throw new ProdguardError(
        'PRODGUARD_GCP_TRAFFIC_MISMATCH',
        `Cloud Run accepted the traffic change for ${environment} but ${mismatch}.`,
        { hint: 'Read the service in the Cloud Run console; re-run `prodguard status` before acting again.' },
      );
  }

  async startRevision(environment: string, revision: string): Promise<Revision> {
    const run = await this.#readService(environment);
    await this.#readRevision(environment, revision);
    if (this.#stopped(run).has(revision)) {
      await this.#patch(
        environment,
        (r) => {
          const stopped = [...this.#stopped(r)].filter((n) => n !== revision);
          return {
            mask: ['annotations'],
            body: { annotations: { ...r.annotations, [ANNOTATION.stopped]: JSON.stringify(stopped) } },
          };
        },
        run,
      );
    }
    return this.getRevision(environment, revision);
  }

  async stopRevision(environment: string, revision: string): Promise<void> {
    const run = await this.#readService(environment);
    await this.#readRevision(environment, revision);
    const service = this.#toService(environment, run);
    const serving = [...servingTraffic(run), ...(service.trafficBeforeMaintenance ?? [])].some(
      (t) => t.revision === revision && t.percent > 0,
    );
    if (serving)
      throw platformError(
        'PRODGUARD_PLATFORM_REVISION_SERVING',
        `Refusing to stop ${revision}: it still receives traffic.`,
        {
          kind: 'refused',
          hint: 'Move its traffic elsewhere first.',
        },
      );
    if (this.#stopped(run).has(revision)) return;
    await this.#patch(
      environment,
      (r) => ({
        mask: ['annotations'],
        body: {
          annotations: {
            ...r.annotations,
            [ANNOTATION.stopped]: JSON.stringify([...this.#stopped(r), revision]),
          },
        },
      }),
      run,
    );
  }

  async getMetrics(environment: string, windowMs: number): Promise<RevisionMetrics[]> {
    const b = this.#binding(environment);
    const run = await this.#readService(environment);
    const result = await readRunMetrics(this.#o.transport, this.#o.clock, {
      project: b.project,
      service: b.service,
      region: b.region,
      windowMs,
      ...(this.#o.metricsLagMs !== undefined
        ? {
            lagMs:
              typeof this.#o.metricsLagMs === 'function'
                ? this.#o.metricsLagMs(environment)
                : this.#o.metricsLagMs,
          }
        : {}),
    });
    const names = new Set([...servingTraffic(run).map((t) => t.revision), ...result.revisions.keys()]);
    return [...names].map((revision) => {
      const m = result.revisions.get(revision);
      return m
        ? { revision, ...m }
        : {
            revision,
            windowMs,
            requests: 0,
            byStatus: { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, error: 0 },
            errorRate: 0,
            p50Ms: 0,
            p95Ms: 0,
            p99Ms: 0,
            inFlight: 0,
          };
    });
  }

  async setMaintenance(environment: string, settings: MaintenanceSettings | null): Promise<Service> {
    const run = await this.#readService(environment);
    const current = parseJson<MaintenanceRecord | undefined>(
      run.annotations?.[ANNOTATION.maintenance],
      undefined,
    );
    if (settings === null) {
      if (!current) return this.#toService(environment, run);
      const restored = await this.#patch(
        environment,
        (r) => {
          const { [ANNOTATION.maintenance]: _dropped, ...annotations } = r.annotations ?? {};
          return {
            mask: ['traffic', 'annotations'],
            body: {
              annotations,
              traffic: planRunTraffic(r, current.before, {
                existing: new Set([...currentTags(r).values(), ...current.before.map((t) => t.revision)]),
              }),
            },
          };
        },
        run,
      );
      await this.#verify(environment, restored, current.before);
      return this.#toService(
        environment,
        this.#o.transport.mode === 'plan' ? { ...run, annotations: {} } : restored,
      );
    }
    const before = current?.before ?? servingTraffic(run);
    const maintenanceRevision = await this.#maintenanceRevision(environment, run, settings);
    const record: MaintenanceRecord = { ...settings, before };
    const after = await this.#patch(environment, (r) => ({
      mask: ['traffic', 'annotations'],
      body: {
        annotations: { ...r.annotations, [ANNOTATION.maintenance]: JSON.stringify(record) },
        traffic: planRunTraffic(r, [{ revision: maintenanceRevision, percent: 100 }], {
          existing: new Set([...currentTags(r).values(), maintenanceRevision]),
        }),
      },
    }));
    await this.#verify(environment, after, [{ revision: maintenanceRevision, percent: 100 }]);
    return this.#toService(
      environment,
      this.#o.transport.mode === 'plan'
        ? { ...run, annotations: { [ANNOTATION.maintenance]: JSON.stringify(record) } }
        : after,
    );
  }

  /** The revision tagged `maintenance` if it shows this message; otherwise deploys one at 0 %. */
  async #maintenanceRevision(
    environment: string,
    run: RunService,
    settings: MaintenanceSettings,
  ): Promise<string> {
    const b = this.#binding(environment);
    const tagged = currentTags(run).get(MAINTENANCE_TAG);
    if (tagged) {
      const rev = await this.#readRevision(environment, tagged).catch(() => undefined);
      const ready = rev?.conditions?.find((c) => c.type === 'Ready')?.state === 'CONDITION_SUCCEEDED';
      if (ready && rev?.annotations?.[ANNOTATION.maintenanceMessage] === JSON.stringify(settings))
        return tagged;
    }
    const image =
      typeof this.#o.maintenanceImage === 'function'
        ? this.#o.maintenanceImage(environment)
        : this.#o.maintenanceImage;
    if (!image)
      throw new ProdguardError(
        'PRODGUARD_GCP_MAINTENANCE_IMAGE_MISSING',
        `No maintenance image for ${environment}: Cloud Run can only route to a revision of the same service.`,
        {
          kind: 'usage',
          hint: `Set environments.${environment}.platform.maintenanceImage to an image that answers 503 with $MAINTENANCE_MESSAGE.`,
        },
      );
    const name = this.#nextRevisionName(run, b);
    const template = this.#template(
      run,
      name,
      {
        image,
        env: [
          { name: 'MAINTENANCE_MESSAGE', value: settings.message },
          ...(settings.until ? [{ name: 'MAINTENANCE_UNTIL', value: settings.until }] : []),
        ],
      },
      { [ANNOTATION.maintenanceMessage]: JSON.stringify(settings) },
    );
    await this.#startTemplateUpdate(environment, run, template, MAINTENANCE_TAG);
    await this.waitReady(environment, name, this.#o.operationTimeoutMs);
    return name;
  }
}
