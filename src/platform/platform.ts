/**
 * The Platform port, shaped like Cloud Run's Admin API: a service per environment, immutable revisions,
 * traffic targets with percent and tag. The local agent implements it; a Cloud Run adapter can too.
 * src/deploy drives deploys, rollbacks and maintenance only through this interface.
 */

export interface ReleaseRef {
  /** Full git commit sha. */
  commit: string;
  /** sha256 digest over the built artifact tree: the release's identity. */
  digest: string;
}

export interface RevisionSpec {
  /** Environment (service) name. */
  service: string;
  release: ReleaseRef;
  /** Plain environment variables for the process (already mapped per the app config). */
  env: Record<string, string>;
  /** Secret name → pinned version number; resolved by the platform at start, delivered as env vars. */
  secrets?: Record<string, { version: number; envVar: string }>;
  /** Free-form labels (deploy operation id, note). */
  labels?: Record<string, string>;
  /**
   * How the deployer runs the release (runtimeCheckName: app.start, build, healthPath, env), recorded in its
   * verification. A platform that starts the release from its own configuration (the local agent) refuses
   * a spec whose runtime differs from it, so what is verified is what ran.
   */
  runtime?: string;
}

export type RevisionState = 'starting' | 'ready' | 'failed' | 'stopped';

export interface Revision {
  /** `<service>-<5 digit sequence>-<3 chars>`, as Cloud Run names them. */
  name: string;
  service: string;
  release: ReleaseRef;
  createdAt: string;
  state: RevisionState;
  /** Direct URL of this revision (its tag URL), reachable at 0 % traffic. */
  url: string;
  restarts: number;
  /** Secret name → version this revision runs with. */
  secretVersions: Record<string, number>;
  /** Why it failed, when state is failed. */
  failure?: string;
  labels: Record<string, string>;
}

export interface TrafficTarget {
  revision: string;
  percent: number;
  tag?: string;
}

export interface MaintenanceSettings {
  message: string;
  /** ISO time the maintenance is expected to end; drives Retry-After. */
  until?: string;
}

export interface Service {
  name: string;
  /** The environment's public URL (the router). */
  url: string;
  traffic: TrafficTarget[];
  /** When set, the router answers 503 with the maintenance page instead of routing. */
  maintenance?: MaintenanceSettings;
  /** Traffic as it was before maintenance, restored by turning maintenance off. */
  trafficBeforeMaintenance?: TrafficTarget[];
}

export interface MetricsWindow {
  /** Window length the numbers cover. */
  windowMs: number;
  requests: number;
  /** By status class: 2xx, 3xx, 4xx, 5xx, plus socket/proxy errors as `error`. */
  byStatus: { '2xx': number; '3xx': number; '4xx': number; '5xx': number; error: number };
  /** 5xx + errors over requests; 0 when there are no requests. */
  errorRate: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  inFlight: number;
}

export interface RevisionMetrics extends MetricsWindow {
  revision: string;
}

export interface Platform {
  listServices(): Promise<Service[]>;
  /** Throws PRODGUARD_PLATFORM_SERVICE_NOT_FOUND for an unknown environment. */
  getService(service: string): Promise<Service>;
  listRevisions(service: string): Promise<Revision[]>;
  getRevision(service: string, revision: string): Promise<Revision>;
  /** Starts a new revision at 0 % traffic and returns at once (state `starting`). */
  createRevision(spec: RevisionSpec): Promise<Revision>;
  /** Waits until the revision's health path answers 2xx; state `failed` (and an error) after timeoutMs. */
  waitReady(service: string, revision: string, timeoutMs: number, signal?: AbortSignal): Promise<Revision>;
  /**
   * Replaces the traffic split atomically. Percents must sum to 100. Refuses (PRODGUARD_PLATFORM_NOT_READY)
   * to route to a revision that is not ready. Revisions that lose all traffic are drained, not killed.
   */
  setTraffic(service: string, targets: TrafficTarget[]): Promise<Service>;
  /** Restarts a stopped revision (for rollback) and returns once it is starting. */
  startRevision(service: string, revision: string): Promise<Revision>;
  /** Drains in-flight requests (bounded), then SIGTERM, then SIGKILL after the grace period. */
  stopRevision(service: string, revision: string): Promise<void>;
  /** Per-revision metrics over the last windowMs. */
  getMetrics(service: string, windowMs: number): Promise<RevisionMetrics[]>;
  /** Turns maintenance on (keeps the previous traffic to restore) or off (restores it exactly). */
  setMaintenance(service: string, settings: MaintenanceSettings | null): Promise<Service>;
}
