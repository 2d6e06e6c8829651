import { createHash } from 'node:crypto';
import type { Clock } from '../../kernel/clock.js';
import { ProdguardError } from '../../kernel/errors.js';
import type {
  MaintenanceSettings,
  Platform,
  Revision,
  RevisionMetrics,
  RevisionSpec,
  Service,
  TrafficTarget,
} from '../../platform/index.js';
import type { ProbeClient } from '../probe-client.js';

/** How revisions of a release behave in the in-memory platform; tests script it per digest. */
export interface RevisionBehavior {
  /** Time waitReady takes (on the injected clock). Default 0. */
  readyAfterMs?: number;
  /** The health path never answers: waitReady fails at its timeout. */
  neverReady?: boolean;
  /** Share of requests answered 5xx, 0..1. */
  errorRate?: number;
  /** Latency of every request. */
  latencyMs?: number;
}

export interface InMemoryPlatformOptions {
  clock: Clock;
  services: readonly string[];
}

interface Bucket {
  t: number;
  requests: number;
  errors: number;
  latencyMs: number;
}

interface RevisionEntry {
  revision: Revision;
  buckets: Bucket[];
  errorCarry: number;
}

interface ServiceEntry {
  service: Service;
  /** Requests per second arriving at the router. */
  load: number;
  lastTick: number;
  seq: number;
}

const SECOND = 1000;

function notFound(what: string, name: string): ProdguardError {
  return new ProdguardError(
    what === 'service' ? 'PRODGUARD_PLATFORM_SERVICE_NOT_FOUND' : 'PRODGUARD_PLATFORM_REVISION_NOT_FOUND',
    `No ${what} named ${name}.`,
    {
      kind: 'usage',
      hint:
        what === 'service'
          ? 'Check the environment name in prodguard.yaml.'
          : 'List revisions with prodguard status.',
    },
  );
}

/**
 * A faithful, deterministic Platform held in memory: immutable revisions, atomic traffic splits,
 * readiness gating, maintenance that restores traffic exactly, and per-revision metrics generated from
 * a scripted load on the injected clock. Used for fast pipeline tests; the contract suite pins that it
 * behaves like the real agent.
 */
export class InMemoryPlatform implements Platform {
  readonly #clock: Clock;
  readonly #services = new Map<string, ServiceEntry>();
  readonly #revisions = new Map<string, RevisionEntry>();
  readonly #behaviors = new Map<string, RevisionBehavior>();
  /** Every traffic change, in order, for assertions about what traffic ever looked like. */
  readonly trafficLog: { at: string; service: string; traffic: TrafficTarget[] }[] = [];
  /** Called after a method has acted (mutations, waitReady, getMetrics); tests use it to pause or freeze the caller there. */
  afterAct: ((method: string, args: unknown[]) => Promise<void> | void) | undefined;

  constructor(options: InMemoryPlatformOptions) {
    this.#clock = options.clock;
    for (const name of options.services) {
      this.#services.set(name, {
        service: { name, url: `http://${name}.in-memory.test`, traffic: [] },
        load: 0,
        lastTick: options.clock.nowMs(),
        seq: 0,
      });
    }
  }

  /** Scripts how revisions of a release (by digest) behave, everywhere or only in one service. */
  behave(digest: string, behavior: RevisionBehavior, service?: string): void {
    const key = service ? `${service}/${digest}` : digest;
    this.#behaviors.set(key, { ...this.#behaviors.get(key), ...behavior });
  }

  #behavior(revision: Revision): RevisionBehavior {
    return {
      ...this.#behaviors.get(revision.release.digest),
      ...this.#behaviors.get(`${revision.service}/${revision.release.digest}`),
    };
  }

  /** Steady user traffic on an environment's router, in requests per second. */
  setLoad(service: string, requestsPerSecond: number): void {
    this.#tick(this.#service(service));
    this.#service(service).load = requestsPerSecond;
  }

  /** The revision's process crashes and is restarted by the supervisor. */
  crash(service: string, revision: string): void {
    this.#revision(service, revision).revision.restarts += 1;
  }

  /** Probes sent to revision URLs land on that revision, like requests to its tag URL. */
  readonly probeClient: ProbeClient = {
    get: async (url: string) => {
      const entry = [...this.#revisions.values()].find((e) => url.startsWith(e.revision.url));
      if (entry?.revision.state !== 'ready') return { status: 0 };
      this.#tick(this.#service(entry.revision.service));
      const failed = this.#record(entry, this.#clock.nowMs(), 1);
      return { status: failed > 0 ? 500 : 200 };
    },
  };

  async listServices(): Promise<Service[]> {
    return [...this.#services.values()].map((e) => structuredClone(e.service));
  }

  async getService(service: string): Promise<Service> {
    return structuredClone(this.#service(service).service);
  }

  async listRevisions(service: string): Promise<Revision[]> {
    this.#service(service);
    return [...this.#revisions.values()]
      .filter((e) => e.revision.service === service)
      .map((e) => structuredClone(e.revision));
  }

  async getRevision(service: string, revision: string): Promise<Revision> {
    return structuredClone(this.#revision(service, revision).revision);
  }

  async createRevision(spec: RevisionSpec): Promise<Revision> {
    const entry = this.#service(spec.service);
    entry.seq += 1;
    const suffix = createHash('sha256').update(`${spec.service}:${entry.seq}`).digest('hex').slice(0, 3);
    const name = `${spec.service}-${String(entry.seq).padStart(5, '0')}-${suffix}`;
    const revision: Revision = {
      name,
      service: spec.service,
      release: { ...spec.release },
      createdAt: this.#clock.now().toISOString(),
      state: 'starting',
      url: `http://${name}.in-memory.test`,
      restarts: 0,
      secretVersions: Object.fromEntries(Object.entries(spec.secrets ?? {}).map(([k, v]) => [k, v.version])),
      labels: { ...spec.labels },
    };
    this.#revisions.set(name, { revision, buckets: [], errorCarry: 0 });
    await this.afterAct?.('createRevision', [spec]);
    return structuredClone(revision);
  }

  async waitReady(
    service: string,
    revision: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<Revision> {
    const entry = this.#revision(service, revision);
    if (entry.revision.state === 'ready') return structuredClone(entry.revision);
    if (entry.revision.state === 'stopped') {
      throw new ProdguardError('PRODGUARD_PLATFORM_NOT_READY', `Revision ${revision} is stopped.`, {
        hint: 'Start it first (startRevision).',
      });
    }
    const behavior = this.#behavior(entry.revision);
    const readyAfter = behavior.readyAfterMs ?? 0;
    if (behavior.neverReady || readyAfter > timeoutMs) {
      await this.#clock.sleep(timeoutMs, signal);
      signal?.throwIfAborted();
      entry.revision.state = 'failed';
      entry.revision.failure = `health path did not answer 2xx within ${timeoutMs}ms`;
      throw new ProdguardError(
        'PRODGUARD_PLATFORM_NOT_READY',
        `Revision ${revision} did not become ready within ${timeoutMs}ms.`,
        { hint: `Read its logs: prodguard logs ${service} --revision ${revision}` },
      );
    }
    if (readyAfter > 0) await this.#clock.sleep(readyAfter, signal);
    signal?.throwIfAborted();
    entry.revision.state = 'ready';
    await this.afterAct?.('waitReady', [service, revision]);
    return structuredClone(entry.revision);
  }

  async setTraffic(service: string, targets: TrafficTarget[]): Promise<Service> {
    const entry = this.#service(service);
    const total = targets.reduce((sum, t) => sum + t.percent, 0);
    const names = new Set(targets.map((t) => t.revision));
    if (
      targets.length === 0 ||
      total !== 100 ||
      names.size !== targets.length ||
      targets.some((t) => !Number.isInteger(t.percent) || t.percent < 0 || t.percent > 100)
    ) {
      throw new ProdguardError(
        'PRODGUARD_PLATFORM_TRAFFIC_INVALID',
        `Traffic for ${service} must name each revision once with whole percents summing to 100 (got ${targets.map((t) => `${t.revision}=${t.percent}`).join(', ') || 'nothing'}).`,
        { kind: 'usage', hint: 'Example: [{ revision: "a", percent: 90 }, { revision: "b", percent: 10 }]' },
      );
    }
    for (const target of targets) {
      const rev = this.#revision(service, target.revision).revision;
      if (target.percent > 0 && rev.state !== 'ready') {
        throw new ProdguardError(
          'PRODGUARD_PLATFORM_NOT_READY',
          `Refusing to route traffic to ${rev.name}: it is ${rev.state}, not ready.`,
          { kind: 'refused', hint: 'Wait for readiness (or start it) before sending it traffic.' },
        );
      }
    }
    this.#tick(entry);
    const traffic = targets.filter((t) => t.percent > 0).map((t) => ({ ...t }));
    // In maintenance the new split is what `off` restores; the 503 page keeps answering meanwhile.
    if (entry.service.maintenance) entry.service.trafficBeforeMaintenance = structuredClone(traffic);
    entry.service.traffic = traffic;
    this.trafficLog.push({ at: this.#clock.now().toISOString(), service, traffic: structuredClone(traffic) });
    await this.afterAct?.('setTraffic', [service, targets]);
    return structuredClone(entry.service);
  }

  async startRevision(service: string, revision: string): Promise<Revision> {
    const entry = this.#revision(service, revision);
    if (entry.revision.state === 'stopped' || entry.revision.state === 'failed') {
      entry.revision.state = 'starting';
      delete entry.revision.failure;
    }
    await this.afterAct?.('startRevision', [service, revision]);
    return structuredClone(entry.revision);
  }

  async stopRevision(service: string, revision: string): Promise<void> {
    const entry = this.#revision(service, revision);
    const svc = this.#service(service).service;
    const serving = [...svc.traffic, ...(svc.trafficBeforeMaintenance ?? [])].some(
      (t) => t.revision === revision && t.percent > 0,
    );
    if (serving) {
      throw new ProdguardError(
        'PRODGUARD_PLATFORM_REVISION_SERVING',
        `Refusing to stop ${revision}: it still receives traffic.`,
        { kind: 'refused', hint: 'Move its traffic elsewhere first.' },
      );
    }
    entry.revision.state = 'stopped';
    await this.afterAct?.('stopRevision', [service, revision]);
  }

  async getMetrics(service: string, windowMs: number): Promise<RevisionMetrics[]> {
    const entry = this.#service(service);
    this.#tick(entry);
    const now = this.#clock.nowMs();
    await this.afterAct?.('getMetrics', [service, windowMs]);
    return [...this.#revisions.values()]
      .filter((e) => e.revision.service === service)
      .map((e) => {
        const recent = e.buckets.filter((b) => b.t > now - windowMs && b.t <= now);
        const requests = recent.reduce((s, b) => s + b.requests, 0);
        const errors = recent.reduce((s, b) => s + b.errors, 0);
        const latency = recent.filter((b) => b.requests > 0).map((b) => b.latencyMs);
        const worst = latency.length > 0 ? Math.max(...latency) : 0;
        return {
          revision: e.revision.name,
          windowMs,
          requests,
          byStatus: { '2xx': requests - errors, '3xx': 0, '4xx': 0, '5xx': errors, error: 0 },
          errorRate: requests === 0 ? 0 : errors / requests,
          p50Ms: worst,
          p95Ms: worst,
          p99Ms: worst,
          inFlight: 0,
        };
      });
  }

  async setMaintenance(service: string, settings: MaintenanceSettings | null): Promise<Service> {
    const entry = this.#service(service);
    this.#tick(entry);
    const svc = entry.service;
    if (settings) {
      if (!svc.maintenance) svc.trafficBeforeMaintenance = structuredClone(svc.traffic);
      svc.maintenance = { ...settings };
    } else if (svc.maintenance) {
      svc.traffic = structuredClone(svc.trafficBeforeMaintenance ?? svc.traffic);
      delete svc.maintenance;
      delete svc.trafficBeforeMaintenance;
    }
    await this.afterAct?.('setMaintenance', [service, settings]);
    return structuredClone(svc);
  }

  #service(name: string): ServiceEntry {
    const entry = this.#services.get(name);
    if (!entry) throw notFound('service', name);
    return entry;
  }

  #revision(service: string, name: string): RevisionEntry {
    this.#service(service);
    const entry = this.#revisions.get(name);
    if (!entry || entry.revision.service !== service) throw notFound('revision', name);
    return entry;
  }

  /** Generates the router's load, second by second, up to now, split by the traffic in force. */
  #tick(entry: ServiceEntry): void {
    const now = this.#clock.nowMs();
    const svc = entry.service;
    while (entry.lastTick + SECOND <= now) {
      entry.lastTick += SECOND;
      if (entry.load <= 0 || svc.maintenance) continue;
      for (const target of svc.traffic) {
        const rev = this.#revisions.get(target.revision);
        if (rev?.revision.state !== 'ready') continue;
        const count = Math.round((entry.load * target.percent) / 100);
        if (count > 0) this.#record(rev, entry.lastTick, count);
      }
    }
  }

  /** Records `count` requests at time t; returns how many failed. Errors accumulate deterministically. */
  #record(entry: RevisionEntry, t: number, count: number): number {
    const behavior = this.#behavior(entry.revision);
    entry.errorCarry += count * (behavior.errorRate ?? 0);
    const errors = Math.min(count, Math.floor(entry.errorCarry + 1e-9));
    entry.errorCarry -= errors;
    const last = entry.buckets[entry.buckets.length - 1];
    const latencyMs = behavior.latencyMs ?? 20;
    if (last && last.t === t) {
      last.requests += count;
      last.errors += errors;
    } else {
      entry.buckets.push({ t, requests: count, errors, latencyMs });
      if (entry.buckets.length > 100_000) entry.buckets.splice(0, 50_000);
    }
    return errors;
  }
}
