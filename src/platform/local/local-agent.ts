import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type Config, runtimeCheckName } from '../../config/index.js';
import type { Clock } from '../../kernel/clock.js';
import type { Logger } from '../../kernel/logger.js';
import type { ProcessRunner } from '../../kernel/process-runner.js';
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
} from '../platform.js';
import type { AgentPaths } from './agent-paths.js';
import { buildRelease } from './build-release.js';
import { completeRevisionEnv, planRevisionEnv, type RevisionEnvPlan } from './plan-revision-env.js';
import { planTraffic } from './plan-traffic.js';
import { platformError, revisionNotFound, serviceNotFound } from './platform-errors.js';
import {
  type PersistedRevision,
  type RevisionApp,
  RevisionInstance,
  type RevisionRuntimeSettings,
} from './revision-instance.js';
import { revisionLogFile } from './revision-log.js';
import type { RevisionSandbox } from './revision-sandbox.js';
import { RouterMetrics } from './router-metrics.js';
import { ServiceRouter } from './service-router.js';
import { killStaleRevisionGroup, type ServiceSpawner } from './service-spawner.js';

export interface LocalAgentOptions {
  config: Config;
  paths: AgentPaths;
  clock: Clock;
  processes: ProcessRunner;
  spawner: ServiceSpawner;
  log: Logger;
  /** Variables revisions inherit from the agent's own environment (PATH and friends); nothing else leaks. */
  baseEnv: Record<string, string>;
  /** Resolves a revision's pinned secrets to variables (the secrets domain's vault); absent → such revisions fail. */
  secrets?: SecretResolver;
  /** Where and as whom revisions run (runAgent makes one from app.runAs); absent → as the agent, in the artifact. */
  sandbox?: RevisionSandbox;
}

/** Pinned versions → `{ envVar: value }`; values stay in memory and reach only the revision's process. */
export type SecretResolver = (
  environment: string,
  pins: Record<string, { version: number; envVar: string }>,
) => Promise<Record<string, string>>;

interface ServiceState {
  name: string;
  port: number;
  router: ServiceRouter;
  traffic: TrafficTarget[];
  maintenance?: MaintenanceSettings;
  trafficBeforeMaintenance?: TrafficTarget[];
  seq: number;
  revisions: Map<string, RevisionInstance>;
}

interface PersistedService {
  port: number;
  traffic: TrafficTarget[];
  maintenance?: MaintenanceSettings;
  trafficBeforeMaintenance?: TrafficTarget[];
  seq: number;
  revisions: PersistedRevision[];
}

interface PersistedState {
  version: 1;
  services: Record<string, PersistedService>;
}

/** Variables a revision inherits from the agent: enough to find `node`/`npm`, never credentials. */
export const INHERITED_ENV = [
  'PATH',
  'HOME',
  'LANG',
  'LC_ALL',
  'TZ',
  'TMPDIR',
  'NODE_OPTIONS',
  'SHELL',
  'USER',
];

/**
 * The local platform: one router per environment, one supervised process per revision, state persisted
 * to `<stateDir>/agent/state.json` after every change and restored by `start()`. Implements the same
 * Platform port the HTTP client does, so the agent server is a thin adapter over it.
 */
export class LocalAgent implements Platform {
  readonly #o: LocalAgentOptions;
  readonly #services = new Map<string, ServiceState>();
  readonly metrics: RouterMetrics;
  #persistScheduled = false;
  #closed = false;

  constructor(options: LocalAgentOptions) {
    this.#o = options;
    this.metrics = new RouterMetrics(() => this.#allInstances());
  }

  /** How a revision runs: its own start command and health path, the agent's timeouts. */
  #settings(app: RevisionApp): RevisionRuntimeSettings {
    const config = this.#o.config.app;
    return {
      start: app.start,
      ...(app.healthPath ? { healthPath: app.healthPath } : {}),
      startupTimeoutMs: config.startupTimeout,
      drainTimeoutMs: config.drainTimeout,
      stopGraceMs: config.stopGrace,
    };
  }

  /** How a new revision runs, from the agent's configuration; the revision keeps it for life. */
  #configuredApp(): RevisionApp {
    const app = this.#o.config.app;
    return {
      start: app.start,
      ...(app.healthPath ? { healthPath: app.healthPath } : {}),
      env: { ...(app.env ?? {}) },
    };
  }

  /** Opens every environment's router and restores revisions and traffic from the state file. */
  async start(): Promise<void> {
    const saved = this.#readState();
    const starts: Promise<void>[] = [];
    for (const name of this.#o.config.environmentOrder) {
      const persisted = saved?.services[name];
      const configured = this.#o.config.environments[name]?.platform?.port;
      const router = new ServiceRouter({
        service: name,
        nowMs: () => this.#o.clock.nowMs(),
        lookup: (rev) => this.#services.get(name)?.revisions.get(rev),
        observe: (instance, statusClass, seconds, status) =>
          this.metrics.observe(instance, statusClass, seconds, status),
      });
      const port = await this.#listen(
        name,
        () => router.listen(configured ?? persisted?.port ?? 0),
        configured,
      );
      const state: ServiceState = {
        name,
        port,
        router,
        traffic: persisted?.traffic ?? [],
        seq: persisted?.seq ?? 0,
        revisions: new Map(),
        ...(persisted?.maintenance ? { maintenance: persisted.maintenance } : {}),
        ...(persisted?.trafficBeforeMaintenance
          ? { trafficBeforeMaintenance: persisted.trafficBeforeMaintenance }
          : {}),
      };
      this.#services.set(name, state);
      router.setTraffic(state.traffic);
      router.setMaintenance(state.maintenance);
      for (const rev of persisted?.revisions ?? []) {
        if (rev.pid && killStaleRevisionGroup(rev.pid, rev.name)) {
          this.#o.log.warn(
            `ended ${rev.name}'s processes left behind by an agent that did not stop (pid ${rev.pid})`,
          );
        }
        const tagPort = await router.listenTag(rev.name, rev.tagPort).catch(() => {
          this.#o.log.warn(`tag port ${rev.tagPort} of ${rev.name} is taken; using a new one`);
          return router.listenTag(rev.name, 0);
        });
        const artifactDir = await this.#ensureArtifact(rev);
        let instance: RevisionInstance;
        try {
          instance = this.#instance(state, { ...rev, tagPort }, artifactDir);
        } catch (error) {
          // The config changed under it (e.g. app.env now needs an unpinned secret): keep it, failed.
          const failure = `cannot start with the current config: ${(error as Error).message}`;
          this.#o.log.warn(`${rev.name} ${failure}`);
          const failed: PersistedRevision = { ...rev, tagPort, desired: 'stopped', state: 'failed', failure };
          instance = new RevisionInstance(failed, { ...this.#baseDeps(state, failed, artifactDir), env: {} });
        }
        state.revisions.set(rev.name, instance);
        if (rev.desired === 'running') starts.push(instance.start());
      }
    }
    await Promise.all(starts);
    this.#persist();
  }

  /** Stops routers and every revision process; the state file keeps what should run on the next start. */
  async shutdown(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#writeState();
    await Promise.all([...this.#services.values()].map((s) => s.router.close()));
    await Promise.all(
      this.#allInstances().map(async (instance) => {
        const desired = instance.desired;
        await instance.stop(0);
        instance.desired = desired;
        instance.log.close();
      }),
    );
  }

  async listServices(): Promise<Service[]> {
    return [...this.#services.values()].map((s) => this.#serviceView(s));
  }

  async getService(service: string): Promise<Service> {
    return this.#serviceView(this.#service(service));
  }

  async listRevisions(service: string): Promise<Revision[]> {
    const state = this.#service(service);
    return [...state.revisions.values()].map((r) => this.#revisionView(r));
  }

  async getRevision(service: string, revision: string): Promise<Revision> {
    return this.#revisionView(this.#revision(service, revision));
  }

  async createRevision(spec: RevisionSpec): Promise<Revision> {
    const state = this.#service(spec.service);
    const runtime = runtimeCheckName(this.#o.config.app);
    if (spec.runtime !== undefined && spec.runtime !== runtime) {
      // The deployer records its runtime in the verification: running another one would verify what never ran.
      throw platformError(
        'PRODGUARD_PLATFORM_RUNTIME_MISMATCH',
        `The deploy runs the release as ${spec.runtime}, but this agent starts revisions as ${runtime}: app.start, app.build, app.healthPath or app.env differ between prodguard.yaml now and what the agent read when it started.`,
        {
          kind: 'refused',
          hint: 'Restart the agent so it reads prodguard.yaml again (prodguard down, then prodguard up); running revisions keep the way they were started.',
          details: { requested: spec.runtime, agent: runtime },
        },
      );
    }
    const built = await this.#build(spec.release.commit);
    if (built.digest !== spec.release.digest) {
      throw platformError(
        'PRODGUARD_PLATFORM_DIGEST_MISMATCH',
        `Release ${spec.release.commit.slice(0, 12)} builds to ${built.digest}, not ${spec.release.digest}.`,
        {
          kind: 'refused',
          hint: 'The artifact changed since the release was recorded: rebuild it with buildRelease and use its digest.',
        },
      );
    }
    state.seq += 1;
    const name = `${spec.service}-${String(state.seq).padStart(5, '0')}-${randomSuffix()}`;
    const tagPort = await state.router.listenTag(name, 0);
    const persisted: PersistedRevision = {
      name,
      spec: { ...spec, release: { commit: built.commit, digest: built.digest } },
      createdAt: this.#o.clock.now().toISOString(),
      app: this.#configuredApp(),
      restarts: 0,
      desired: 'running',
      state: 'starting',
      tagPort,
    };
    let instance: RevisionInstance;
    try {
      // Renders the environment now, so a bad template fails this call instead of the process.
      instance = this.#instance(state, persisted, built.dir);
    } catch (error) {
      await state.router.closeTag(name);
      throw error;
    }
    state.revisions.set(name, instance);
    await instance.start();
    this.#persist();
    return this.#revisionView(instance);
  }

  async waitReady(
    service: string,
    revision: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<Revision> {
    const instance = this.#revision(service, revision);
    const timeout = AbortSignal.timeout(timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      await instance.settled(combined);
    } catch {
      if (signal?.aborted) throw signal.reason;
      await instance.fail(`not ready within ${timeoutMs} ms`);
    }
    if (instance.state !== 'ready') {
      throw platformError(
        'PRODGUARD_PLATFORM_NOT_READY',
        `Revision ${revision} is ${instance.state}: ${instance.failure ?? 'not ready'}`,
        {
          kind: 'failed',
          hint: `Read its output with \`prodguard logs ${service} --revision ${revision}\`.`,
          details: { revision, state: instance.state },
        },
      );
    }
    return this.#revisionView(instance);
  }

  async setTraffic(service: string, targets: TrafficTarget[]): Promise<Service> {
    const state = this.#service(service);
    // A revision being drained for a stop still answers, but must not be given traffic again.
    const states = new Map<string, RevisionState>(
      [...state.revisions].map(([n, r]) => [
        n,
        r.desired === 'stopped' && r.state === 'ready' ? 'stopped' : r.state,
      ]),
    );
    const plan = planTraffic(service, targets, states);
    if ('error' in plan) throw plan.error;
    if (state.maintenance) {
      // In maintenance the new split is what reopening restores; the 503 page stays up until then.
      state.trafficBeforeMaintenance = plan.targets;
    }
    state.traffic = plan.targets;
    state.router.setTraffic(state.traffic);
    this.#persist();
    return this.#serviceView(state);
  }

  async startRevision(service: string, revision: string): Promise<Revision> {
    const instance = this.#revision(service, revision);
    if (instance.state === 'ready' || instance.state === 'starting') return this.#revisionView(instance);
    await this.#rebuildIfRemoved(instance);
    await instance.start();
    this.#persist();
    return this.#revisionView(instance);
  }

  async stopRevision(service: string, revision: string): Promise<void> {
    const state = this.#service(service);
    const instance = this.#revision(service, revision);
    const serving = state.traffic.find((t) => t.revision === revision && t.percent > 0);
    if (serving && !state.maintenance) {
      throw platformError(
        'PRODGUARD_PLATFORM_REVISION_SERVING',
        `Revision ${revision} receives ${serving.percent} % of ${service}'s traffic; it cannot be stopped.`,
        { kind: 'refused', hint: 'Move its traffic to another revision first (setTraffic), then stop it.' },
      );
    }
    await instance.stop();
    this.#persist();
  }

  async getMetrics(service: string, windowMs: number): Promise<RevisionMetrics[]> {
    const state = this.#service(service);
    return [...state.revisions.values()].map((r) => ({ revision: r.name, ...r.metrics.summarize(windowMs) }));
  }

  async setMaintenance(service: string, settings: MaintenanceSettings | null): Promise<Service> {
    const state = this.#service(service);
    if (settings) {
      if (!state.maintenance) state.trafficBeforeMaintenance = state.traffic.map((t) => ({ ...t }));
      state.maintenance = { ...settings };
    } else if (state.maintenance) {
      state.traffic = (state.trafficBeforeMaintenance ?? state.traffic).map((t) => ({ ...t }));
      delete state.maintenance;
      delete state.trafficBeforeMaintenance;
      state.router.setTraffic(state.traffic);
    }
    state.router.setMaintenance(state.maintenance);
    this.#persist();
    return this.#serviceView(state);
  }

  readonly #extraMetrics: (() => Promise<string>)[] = [];

  /** Appends another exposition (the monitor's, inside `prodguard up`) to /metrics. */
  addMetricsSource(source: () => Promise<string>): void {
    this.#extraMetrics.push(source);
  }

  /** Prometheus exposition of every router, then of the added sources. */
  async prometheus(): Promise<string> {
    const parts = await Promise.all([this.metrics.registry.metrics(), ...this.#extraMetrics.map((f) => f())]);
    return parts.join('\n');
  }

  #allInstances(): RevisionInstance[] {
    return [...this.#services.values()].flatMap((s) => [...s.revisions.values()]);
  }

  #service(name: string): ServiceState {
    const state = this.#services.get(name);
    if (!state) throw serviceNotFound(name, [...this.#services.keys()]);
    return state;
  }

  #revision(service: string, revision: string): RevisionInstance {
    const instance = this.#service(service).revisions.get(revision);
    if (!instance) throw revisionNotFound(service, revision);
    return instance;
  }

  #serviceView(state: ServiceState): Service {
    return {
      name: state.name,
      url: `http://127.0.0.1:${state.port}`,
      traffic: state.traffic.map((t) => ({ ...t })),
      ...(state.maintenance ? { maintenance: { ...state.maintenance } } : {}),
      ...(state.trafficBeforeMaintenance
        ? { trafficBeforeMaintenance: state.trafficBeforeMaintenance.map((t) => ({ ...t })) }
        : {}),
    };
  }

  #revisionView(instance: RevisionInstance): Revision {
    return instance.toRevision(`http://127.0.0.1:${instance.tagPort}`);
  }

  /** The artifact of a restored revision, rebuilt from git when it was deleted (same commit, same digest). */
  async #ensureArtifact(rev: PersistedRevision): Promise<string> {
    const dir = join(this.#o.paths.artifacts, rev.spec.release.commit);
    if (rev.desired !== 'running') return dir;
    try {
      const rebuilt = await this.#rebuildIfMissing(rev.spec.release);
      if (rebuilt !== undefined && rebuilt !== rev.spec.release.digest)
        this.#o.log.warn(
          `rebuilt ${rev.name}'s release has digest ${rebuilt}, not ${rev.spec.release.digest}`,
        );
    } catch (error) {
      this.#o.log.warn(`cannot rebuild the artifact of ${rev.name}: ${(error as Error).message}`);
    }
    return dir;
  }

  /**
   * A stopped revision's release may have been removed as unused (pruneReleases): it is built again from its
   * commit, and started only when the build gives the digest it was verified with.
   */
  async #rebuildIfRemoved(instance: RevisionInstance): Promise<void> {
    const { commit, digest } = instance.spec.release;
    const rebuilt = await this.#rebuildIfMissing(instance.spec.release);
    if (rebuilt === undefined || rebuilt === digest) return;
    throw platformError(
      'PRODGUARD_PLATFORM_DIGEST_MISMATCH',
      `${instance.name}'s release was removed as unused, and commit ${commit.slice(0, 12)} now builds to ${rebuilt}, not ${digest}: its build does not give the same bytes twice.`,
      {
        kind: 'refused',
        hint: `Deploy the commit instead (prodguard deploy ${instance.spec.service} --commit ${commit.slice(0, 12)}): staging verifies the new build first.`,
      },
    );
  }

  /**
   * The digest a release gives when built again from its commit, or undefined while its artifact is still
   * there (releases go when unused, or by hand; their revisions stay restartable).
   */
  async #rebuildIfMissing(release: ReleaseRef): Promise<string | undefined> {
    if (existsSync(join(this.#o.paths.artifacts, release.commit))) return undefined;
    return (await this.#build(release.commit)).digest;
  }

  #build(commit: string) {
    return buildRelease({
      commit,
      repoDir: this.#o.config.root,
      artifactsDir: this.#o.paths.artifacts,
      ...(this.#o.config.app.build ? { buildCommand: this.#o.config.app.build } : {}),
      buildTimeoutMs: this.#o.config.app.buildTimeout,
      processes: this.#o.processes,
      clock: this.#o.clock,
      ...(this.#o.sandbox ? { sandbox: this.#o.sandbox } : {}),
      env: this.#o.baseEnv,
    });
  }

  #baseDeps(state: ServiceState, persisted: PersistedRevision, artifactDir: string) {
    // State written before revisions kept their own settings: they take the agent's, and keep them from now on.
    const app = persisted.app ?? this.#configuredApp();
    return {
      clock: this.#o.clock,
      spawner: this.#o.spawner,
      log: this.#o.log,
      settings: this.#settings(app),
      app,
      artifactDir,
      ...(this.#o.sandbox ? { place: () => this.#o.sandbox!.place(state.name, artifactDir) } : {}),
      logFile: revisionLogFile(this.#o.paths.logs, state.name, persisted.name),
      onChange: () => this.#persist(),
    };
  }

  #deps(state: ServiceState, persisted: PersistedRevision, artifactDir: string) {
    const plan = this.#envPlan(state, persisted, persisted.tagPort);
    const secrets = persisted.spec.secrets ?? {};
    return {
      ...this.#baseDeps(state, persisted, artifactDir),
      env: plan.env,
      templateVars: Object.keys(plan.deferred),
      ...(Object.keys(secrets).length > 0 || Object.keys(plan.deferred).length > 0
        ? {
            secretEnv: async () =>
              completeRevisionEnv(
                plan,
                secrets,
                Object.keys(secrets).length > 0 ? await this.#resolveSecrets(state.name, secrets) : {},
              ),
          }
        : {}),
    };
  }

  #instance(state: ServiceState, persisted: PersistedRevision, artifactDir: string): RevisionInstance {
    if (!existsSync(artifactDir)) {
      this.#o.log.warn(`artifact ${artifactDir} is missing; ${persisted.name} will fail to start`);
    }
    return new RevisionInstance(persisted, this.#deps(state, persisted, artifactDir));
  }

  /** See planRevisionEnv for the order; secrets and the templates that use them are added at each start. */
  #envPlan(
    state: ServiceState,
    rev: Pick<PersistedRevision, 'name' | 'spec' | 'app'>,
    tagPort: number,
  ): RevisionEnvPlan {
    const inherited: Record<string, string> = {};
    for (const key of INHERITED_ENV) {
      const value = this.#o.baseEnv[key];
      if (value !== undefined) inherited[key] = value;
    }
    const envConfig = this.#o.config.environments[state.name];
    const databaseUrl = envConfig?.database?.url;
    return planRevisionEnv({
      environment: state.name,
      revision: rev.name,
      commit: rev.spec.release.commit,
      digest: rev.spec.release.digest,
      port: state.port,
      url: `http://127.0.0.1:${tagPort}`,
      appEnv: rev.app?.env ?? this.#o.config.app.env,
      platformEnv: envConfig?.platform?.env ?? {},
      ...(databaseUrl ? { databaseUrl } : {}),
      specEnv: rev.spec.env,
      secrets: rev.spec.secrets ?? {},
      inherited,
    });
  }

  async #resolveSecrets(
    service: string,
    pins: Record<string, { version: number; envVar: string }>,
  ): Promise<Record<string, string>> {
    if (!this.#o.secrets) {
      throw platformError(
        'PRODGUARD_PLATFORM_SECRETS_UNAVAILABLE',
        `This agent has no secret vault, so it cannot deliver ${Object.keys(pins).join(', ')}.`,
        {
          hint: 'Start the agent with `prodguard up` in the workspace that holds the vault (master key available).',
        },
      );
    }
    return this.#o.secrets(service, pins);
  }

  async #listen(
    service: string,
    listen: () => Promise<number>,
    configured: number | undefined,
  ): Promise<number> {
    try {
      return await listen();
    } catch (error) {
      throw platformError(
        'PRODGUARD_PLATFORM_PORT_IN_USE',
        `The router of ${service} cannot listen on 127.0.0.1:${configured ?? '(saved port)'}: ${(error as Error).message}.`,
        {
          hint: `Free the port, or set environments.${service}.platform.port in prodguard.yaml to another one.`,
          cause: error,
        },
      );
    }
  }

  #readState(): PersistedState | undefined {
    if (!existsSync(this.#o.paths.state)) return undefined;
    return JSON.parse(readFileSync(this.#o.paths.state, 'utf8')) as PersistedState;
  }

  /** Coalesces bursts of changes into one write. */
  #persist(): void {
    if (this.#persistScheduled || this.#closed) return;
    this.#persistScheduled = true;
    queueMicrotask(() => {
      this.#persistScheduled = false;
      if (!this.#closed) this.#writeState();
    });
  }

  #writeState(): void {
    const services: Record<string, PersistedService> = {};
    for (const s of this.#services.values()) {
      services[s.name] = {
        port: s.port,
        traffic: s.traffic,
        seq: s.seq,
        ...(s.maintenance ? { maintenance: s.maintenance } : {}),
        ...(s.trafficBeforeMaintenance ? { trafficBeforeMaintenance: s.trafficBeforeMaintenance } : {}),
        revisions: [...s.revisions.values()].map((r) => r.toPersisted()),
      };
    }
    const state: PersistedState = { version: 1, services };
    mkdirSync(dirname(this.#o.paths.state), { recursive: true });
    const tmp = `${this.#o.paths.state}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, this.#o.paths.state);
  }
}

function randomSuffix(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(3)].map((b) => alphabet[b % alphabet.length]).join('');
}
