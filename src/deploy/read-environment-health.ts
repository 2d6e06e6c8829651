import type { Platform } from '../platform/index.js';
import type { AnalysisSettings } from './deploy-settings.js';

export interface EnvironmentHealth {
  healthy: boolean;
  /** Why not, in words that name the revision and the number. */
  problems: string[];
  serving: {
    revision: string;
    percent: number;
    state: string;
    requests: number;
    errorRate: number;
    p95Ms: number;
  }[];
}

/**
 * Is an environment healthy right now, as its platform sees it: serving traffic, every serving revision
 * ready, not in maintenance, and (with enough requests to judge) under its error-rate and p95 thresholds.
 */
export async function readEnvironmentHealth(
  platform: Platform,
  environment: string,
  settings: Pick<AnalysisSettings, 'errorRate' | 'latencyP95Ms' | 'minRequests' | 'windowMs'>,
  options: { maintenanceIsHealthy?: boolean } = {},
): Promise<EnvironmentHealth> {
  const service = await platform.getService(environment);
  const [revisions, metrics] = await Promise.all([
    platform.listRevisions(environment),
    platform.getMetrics(environment, settings.windowMs),
  ]);
  const problems: string[] = [];
  if (service.maintenance && !options.maintenanceIsHealthy)
    problems.push(`${environment} is in maintenance ("${service.maintenance.message}")`);
  const traffic = service.maintenance
    ? (service.trafficBeforeMaintenance ?? service.traffic)
    : service.traffic;
  if (traffic.length === 0) problems.push(`${environment} serves no revision`);
  const serving = traffic.map((t) => {
    const rev = revisions.find((r) => r.name === t.revision);
    const m = metrics.find((x) => x.revision === t.revision);
    const entry = {
      revision: t.revision,
      percent: t.percent,
      state: rev?.state ?? 'missing',
      requests: m?.requests ?? 0,
      errorRate: m?.errorRate ?? 0,
      p95Ms: m?.p95Ms ?? 0,
    };
    if (entry.state !== 'ready') problems.push(`${t.revision} (${t.percent} %) is ${entry.state}`);
    if (entry.requests >= settings.minRequests) {
      if (entry.errorRate > settings.errorRate) {
        problems.push(
          `${t.revision} error rate ${(entry.errorRate * 100).toFixed(1)} % > ${(settings.errorRate * 100).toFixed(1)} %`,
        );
      }
      if (entry.p95Ms > settings.latencyP95Ms) {
        problems.push(`${t.revision} p95 ${Math.round(entry.p95Ms)}ms > ${settings.latencyP95Ms}ms`);
      }
    }
    return entry;
  });
  return { healthy: problems.length === 0, problems, serving };
}
