import type { Platform, Service, TrafficTarget } from '../platform/index.js';

/**
 * Makes every revision that will receive traffic ready (restarting a stopped one), then switches in one
 * atomic setTraffic. Traffic therefore never points at a revision that is not ready, whatever happens
 * between the two calls: the platform refuses a target that stopped meanwhile.
 */
export async function applyTraffic(
  platform: Platform,
  environment: string,
  targets: readonly TrafficTarget[],
  readyTimeoutMs: number,
  signal?: AbortSignal,
): Promise<Service> {
  for (const target of targets) {
    if (target.percent <= 0) continue;
    const revision = await platform.getRevision(environment, target.revision);
    if (revision.state === 'ready') continue;
    if (revision.state === 'stopped' || revision.state === 'failed') {
      await platform.startRevision(environment, target.revision);
    }
    await platform.waitReady(environment, target.revision, readyTimeoutMs, signal);
  }
  return platform.setTraffic(
    environment,
    targets.filter((t) => t.percent > 0).map((t) => ({ ...t })),
  );
}

/** The traffic an environment will serve: in maintenance, the split that `off` restores. */
export function effectiveTraffic(service: Service): TrafficTarget[] {
  return service.maintenance ? (service.trafficBeforeMaintenance ?? []) : service.traffic;
}
