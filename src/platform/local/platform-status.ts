import type { Platform, Revision, RevisionState, Service, TrafficTarget } from '../platform.js';

/**
 * Extra per-revision columns from other domains (src/deploy adds `verified` / `known-good`):
 * return a small map of column → value; keys become columns in `prodguard status`.
 */
export type RevisionAnnotator = (
  service: Service,
  revision: Revision,
) => Record<string, string> | Promise<Record<string, string>>;

export interface RevisionStatus {
  name: string;
  commit: string;
  digest: string;
  state: RevisionState;
  percent: number;
  tag?: string;
  url: string;
  restarts: number;
  createdAt: string;
  failure?: string;
  requests: number;
  requestsPerSecond: number;
  errorRate: number;
  p95Ms: number;
  inFlight: number;
  /** Secret name → the version this revision runs with (names and numbers only, never values). */
  secretVersions: Record<string, number>;
  annotations: Record<string, string>;
}

export interface ServiceStatus {
  name: string;
  url: string;
  maintenance?: Service['maintenance'];
  traffic: TrafficTarget[];
  windowMs: number;
  revisions: RevisionStatus[];
}

export interface ReadPlatformStatusOptions {
  /** Only these environments (default: all). */
  services?: readonly string[];
  /** Metrics window, default 60 s. */
  windowMs?: number;
  annotate?: RevisionAnnotator;
  /** Stopped revisions are listed too (default: only the last 5 of them). */
  allStopped?: boolean;
}

/** Revisions, traffic, readiness, rate, error rate, p95 and restarts per environment, newest revision first. */
export async function readPlatformStatus(
  platform: Platform,
  options: ReadPlatformStatusOptions = {},
): Promise<ServiceStatus[]> {
  const windowMs = options.windowMs ?? 60_000;
  const services = options.services
    ? await Promise.all(options.services.map((s) => platform.getService(s)))
    : await platform.listServices();
  return Promise.all(
    services.map(async (service) => {
      const [revisions, metrics] = await Promise.all([
        platform.listRevisions(service.name),
        platform.getMetrics(service.name, windowMs),
      ]);
      const traffic = service.maintenance
        ? (service.trafficBeforeMaintenance ?? service.traffic)
        : service.traffic;
      const sorted = [...revisions].sort((a, b) => (a.name < b.name ? 1 : -1));
      let stoppedShown = 0;
      const shown = sorted.filter((r) => {
        if (r.state !== 'stopped' && r.state !== 'failed') return true;
        if (traffic.some((t) => t.revision === r.name)) return true;
        return options.allStopped || stoppedShown++ < 5;
      });
      const rows = await Promise.all(
        shown.map(async (r): Promise<RevisionStatus> => {
          const m = metrics.find((x) => x.revision === r.name);
          const target = traffic.find((t) => t.revision === r.name);
          return {
            name: r.name,
            commit: r.release.commit,
            digest: r.release.digest,
            state: r.state,
            percent: target?.percent ?? 0,
            ...(target?.tag ? { tag: target.tag } : {}),
            url: r.url,
            restarts: r.restarts,
            createdAt: r.createdAt,
            ...(r.failure ? { failure: r.failure } : {}),
            requests: m?.requests ?? 0,
            requestsPerSecond: m ? m.requests / (m.windowMs / 1000) : 0,
            errorRate: m?.errorRate ?? 0,
            p95Ms: m?.p95Ms ?? 0,
            inFlight: m?.inFlight ?? 0,
            secretVersions: r.secretVersions,
            annotations: options.annotate ? await options.annotate(service, r) : {},
          };
        }),
      );
      return {
        name: service.name,
        url: service.url,
        ...(service.maintenance ? { maintenance: service.maintenance } : {}),
        traffic,
        windowMs,
        revisions: rows,
      };
    }),
  );
}
