import { type Agent as HttpAgent, request } from 'node:http';
import type { Clock } from '../../kernel/clock.js';
import { freePort } from '../../kernel/free-port.js';
import type { Logger } from '../../kernel/logger.js';
import { isSecretKey } from '../../kernel/redact.js';
import type { Revision, RevisionSpec, RevisionState } from '../platform.js';
import { RevisionLog } from './revision-log.js';
import type { RevisionPlacement } from './revision-sandbox.js';
import type { ServiceProcess, ServiceSpawner } from './service-spawner.js';
import { SlidingMetrics } from './sliding-metrics.js';
import { UpstreamAgent } from './upstream-pool.js';

export interface RevisionRuntimeSettings {
  start: string;
  healthPath?: string;
  startupTimeoutMs: number;
  drainTimeoutMs: number;
  stopGraceMs: number;
}

/** What survives an agent restart. */
export interface PersistedRevision {
  name: string;
  spec: RevisionSpec;
  createdAt: string;
  restarts: number;
  /** running: the agent keeps it up (and restores it); stopped: it stays down. */
  desired: 'running' | 'stopped';
  state: RevisionState;
  failure?: string;
  tagPort: number;
  /**
   * How the revision runs, fixed when it was created: a revision is immutable, so an agent restarted with
   * another prodguard.yaml still starts it the way it was verified. Absent in state written before.
   */
  app?: RevisionApp;
  /** Process group of the last start, so a restarted agent can end one an agent crash left behind. */
  pid?: number;
}

/** The part of app config a revision keeps for life (runtimeCheckName covers the same fields, and app.build). */
export interface RevisionApp {
  start: string;
  healthPath?: string;
  /** app.env as written (templates unrendered). */
  env: Record<string, string>;
}

export interface RevisionInstanceDeps {
  clock: Clock;
  spawner: ServiceSpawner;
  log: Logger;
  settings: RevisionRuntimeSettings;
  /** Persisted with the revision (see PersistedRevision.app). */
  app: RevisionApp;
  artifactDir: string;
  /** Where and as whom the process runs (the revision sandbox); absent → in artifactDir as the agent's user. */
  place?: () => Promise<RevisionPlacement>;
  /** Environment without PORT (added per start). */
  env: Record<string, string>;
  /** Pinned secret values as variables, resolved at every start; never persisted or logged. */
  secretEnv?: () => Promise<Record<string, string>>;
  /**
   * The variables of secretEnv rendered from app.env templates. Every other one holds a secret value (a pin,
   * its `_PREVIOUS`), masked in the revision log with the password of a URL; a template's secret parts are
   * masked through them, while a host or a user rendered from a secret stays readable.
   */
  templateVars?: readonly string[];
  logFile: string;
  onChange: () => void;
}

const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 30_000;
/** A revision up this long has its crash backoff reset. */
const STABLE_AFTER_MS = 60_000;
const PROBE_INTERVAL_MS = 100;

/**
 * One revision: its process, readiness, crash restarts with backoff, drain and stop. The router reads
 * `state`, `appPort`, `httpAgent` and `metrics`; everything else goes through the methods.
 */
export class RevisionInstance {
  readonly name: string;
  readonly spec: RevisionSpec;
  readonly createdAt: string;
  readonly tagPort: number;
  readonly metrics: SlidingMetrics;
  readonly log: RevisionLog;
  state: RevisionState;
  desired: 'running' | 'stopped';
  restarts: number;
  failure: string | undefined;
  appPort = 0;
  httpAgent: HttpAgent = newAgent();
  readonly upgraded = new Set<import('node:stream').Duplex>();
  #process: ServiceProcess | undefined;
  #pid: number | undefined;
  #generation = 0;
  #consecutiveCrashes = 0;
  #readySince = 0;
  #stopping = false;
  #backoff: AbortController | undefined;
  #waiters: (() => void)[] = [];
  readonly #deps: RevisionInstanceDeps;

  constructor(persisted: PersistedRevision, deps: RevisionInstanceDeps) {
    this.name = persisted.name;
    this.spec = persisted.spec;
    this.createdAt = persisted.createdAt;
    this.tagPort = persisted.tagPort;
    this.restarts = persisted.restarts;
    this.desired = persisted.desired;
    this.state = persisted.desired === 'running' ? 'starting' : persisted.state;
    this.failure = persisted.failure;
    this.#pid = persisted.pid;
    this.#deps = deps;
    this.metrics = new SlidingMetrics({ nowMs: () => deps.clock.nowMs() });
    this.log = new RevisionLog(deps.logFile, () => deps.clock.now());
  }

  toPersisted(): PersistedRevision {
    return {
      name: this.name,
      spec: this.spec,
      createdAt: this.createdAt,
      restarts: this.restarts,
      desired: this.desired,
      state: this.state,
      ...(this.failure ? { failure: this.failure } : {}),
      tagPort: this.tagPort,
      app: this.#deps.app,
      ...(this.#pid ? { pid: this.#pid } : {}),
    };
  }

  toRevision(url: string): Revision {
    return {
      name: this.name,
      service: this.spec.service,
      release: this.spec.release,
      createdAt: this.createdAt,
      state: this.state,
      url,
      restarts: this.restarts,
      secretVersions: Object.fromEntries(
        Object.entries(this.spec.secrets ?? {}).map(([name, s]) => [name, s.version]),
      ),
      ...(this.failure ? { failure: this.failure } : {}),
      labels: this.spec.labels ?? {},
    };
  }

  /** Starts the process and probes it in the background; resolves once spawned. */
  async start(): Promise<void> {
    this.desired = 'running';
    this.failure = undefined;
    this.#consecutiveCrashes = 0;
    await this.#launch();
  }

  /** Resolves when the state leaves `starting` (ready, failed or stopped). */
  settled(signal?: AbortSignal): Promise<void> {
    if (this.state !== 'starting') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal?.reason ?? new Error('aborted'));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  /** Marks the revision failed (a caller's readiness deadline passed) and ends its process. */
  async fail(reason: string): Promise<void> {
    this.failure = reason;
    this.log.note(`failed: ${reason}`);
    await this.#terminate(0);
    this.state = 'failed';
    this.desired = 'stopped';
    this.#changed();
  }

  /** A revision that cannot start at all (its secrets, its placement): failed, and stays stopped. */
  #failBeforeStart(failure: string): void {
    this.failure = failure;
    this.log.note(`failed: ${failure}`);
    this.state = 'failed';
    this.desired = 'stopped';
    this.#changed();
    this.#wake();
  }

  /** Waits for in-flight requests (bounded by drainTimeout), then SIGTERM, then SIGKILL after stopGrace. */
  async stop(drainTimeoutMs = this.#deps.settings.drainTimeoutMs): Promise<void> {
    this.desired = 'stopped';
    const deadline = this.#deps.clock.nowMs() + drainTimeoutMs;
    while (this.metrics.inFlight > 0 && this.#deps.clock.nowMs() < deadline) {
      await this.#deps.clock.sleep(20);
    }
    if (this.metrics.inFlight > 0) this.log.note(`drain timed out with ${this.metrics.inFlight} in flight`);
    await this.#terminate(this.#deps.settings.stopGraceMs);
    // Unless someone started it again meanwhile.
    if (this.desired === 'stopped' && this.state !== 'failed') this.state = 'stopped';
    this.#changed();
  }

  async #terminate(graceMs: number): Promise<void> {
    this.#stopping = true;
    this.#generation++;
    this.#backoff?.abort();
    if (this.#process) this.log.note('stopping: SIGTERM');
    const proc = this.#process;
    this.#process = undefined;
    if (proc) {
      proc.kill('SIGTERM');
      const grace = new AbortController();
      const killed = await Promise.race([
        proc.exited.then(() => false),
        this.#deps.clock.sleep(graceMs, grace.signal).then(
          () => true,
          () => false,
        ),
      ]);
      grace.abort();
      if (killed) {
        this.log.note(`still running ${graceMs} ms after SIGTERM: SIGKILL`);
        proc.kill('SIGKILL');
        await proc.exited;
      }
      // The app may leave children behind in its group: end them too.
      proc.kill('SIGKILL');
    }
    for (const socket of this.upgraded) socket.destroy();
    this.upgraded.clear();
    this.httpAgent.destroy();
    this.httpAgent = newAgent();
    this.#stopping = false;
    this.#wake();
  }

  async #launch(): Promise<void> {
    const generation = ++this.#generation;
    this.state = 'starting';
    let secretEnv: Record<string, string> = {};
    if (this.#deps.secretEnv) {
      try {
        secretEnv = await this.#deps.secretEnv();
      } catch (error) {
        if (generation === this.#generation)
          this.#failBeforeStart(`its pinned secrets could not be resolved: ${(error as Error).message}`);
        return;
      }
    }
    let placement: RevisionPlacement = { dir: this.#deps.artifactDir, env: {} };
    if (this.#deps.place) {
      try {
        placement = await this.#deps.place();
      } catch (error) {
        if (generation === this.#generation)
          this.#failBeforeStart(`its release could not be placed for its user: ${(error as Error).message}`);
        return;
      }
    }
    if (generation !== this.#generation) return;
    this.appPort = await freePort();
    const env = { ...this.#deps.env, ...placement.env, ...secretEnv, PORT: String(this.appPort) };
    const templates = new Set(this.#deps.templateVars ?? []);
    this.log.maskSecrets([
      ...Object.entries(secretEnv)
        .filter(([name]) => !templates.has(name))
        .map(([, value]) => value),
      ...Object.entries(this.#deps.env)
        .filter(([key]) => isSecretKey(key))
        .map(([, value]) => value),
    ]);
    this.log.note(
      `starting \`${this.#deps.settings.start}\` on port ${this.appPort}${placement.uid !== undefined ? ` as ${placement.env.USER ?? placement.uid} (uid ${placement.uid}, gid ${placement.gid})` : ''}`,
    );
    const proc = this.#deps.spawner.spawn(this.#deps.settings.start, {
      cwd: placement.dir,
      env,
      onOutput: (stream, chunk) => this.log.write(stream, chunk),
      ...(placement.uid !== undefined ? { uid: placement.uid } : {}),
      ...(placement.gid !== undefined ? { gid: placement.gid } : {}),
    });
    this.#process = proc;
    this.#pid = proc.pid;
    this.#changed();
    void proc.exited.then((exit) => this.#onExit(generation, exit));
    void this.#probe(generation);
  }

  async #probe(generation: number): Promise<void> {
    const { clock, settings } = this.#deps;
    const deadline = clock.nowMs() + settings.startupTimeoutMs;
    while (generation === this.#generation && this.state === 'starting') {
      if (await probeOnce(this.appPort, settings.healthPath)) {
        if (generation !== this.#generation) return;
        this.state = 'ready';
        this.#readySince = clock.nowMs();
        this.log.note(
          `ready (${settings.healthPath ? `GET ${settings.healthPath} answered 2xx` : 'answers HTTP'})`,
        );
        this.#changed();
        this.#wake();
        return;
      }
      if (clock.nowMs() >= deadline) {
        if (generation !== this.#generation) return;
        await this.fail(
          `not ready after ${settings.startupTimeoutMs} ms (${settings.healthPath ? `GET ${settings.healthPath} never answered 2xx` : 'no HTTP answer'} on port ${this.appPort})`,
        );
        return;
      }
      await clock.sleep(PROBE_INTERVAL_MS);
    }
  }

  #onExit(generation: number, exit: { code: number | null; signal: NodeJS.Signals | null; error?: string }) {
    if (generation !== this.#generation || this.#stopping) return;
    const how = exit.error ?? (exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`);
    this.#process = undefined;
    this.httpAgent.destroy();
    this.httpAgent = newAgent();
    const wasServing = this.state === 'ready' || this.restarts > 0 || this.#readySince > 0;
    if (!wasServing) {
      this.failure = `exited (${how}) before becoming ready. Last output:\n${this.log.tail()}`;
      this.log.note(`exited (${how}) before becoming ready`);
      this.state = 'failed';
      this.desired = 'stopped';
      this.#changed();
      this.#wake();
      return;
    }
    const now = this.#deps.clock.nowMs();
    if (this.state === 'ready' && now - this.#readySince > STABLE_AFTER_MS) this.#consecutiveCrashes = 0;
    this.#consecutiveCrashes++;
    this.restarts++;
    const backoff = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (this.#consecutiveCrashes - 1));
    this.state = 'starting';
    this.log.note(`crashed (${how}); restart #${this.restarts} in ${backoff} ms`);
    this.#deps.log.warn(`revision ${this.name} crashed (${how}); restarting in ${backoff} ms`);
    this.#changed();
    const scheduled = this.#generation;
    this.#backoff = new AbortController();
    void this.#deps.clock.sleep(backoff, this.#backoff.signal).then(
      () => {
        if (scheduled === this.#generation && this.desired === 'running') void this.#launch();
      },
      () => {},
    );
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  #changed(): void {
    this.#deps.onChange();
  }
}

function newAgent(): HttpAgent {
  // keepAlive pool per revision; free sockets are dropped before typical app keep-alive timeouts (5 s).
  // The router's own upstream pool rides on it (see UpstreamAgent): destroyed with it.
  return new UpstreamAgent({
    keepAlive: true,
    maxSockets: 256,
    maxFreeSockets: 64,
    timeout: 4000,
    noDelay: true,
    maxFree: 64,
    idleMs: 4000,
  });
}

/** One readiness probe: the health path answers 2xx, or (without one) any HTTP answer. */
function probeOnce(port: number, healthPath: string | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, path: healthPath ?? '/', method: 'GET', timeout: 2000, agent: false },
      (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        resolve(healthPath ? status >= 200 && status < 300 : status > 0);
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}
