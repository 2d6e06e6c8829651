import type { GcpTransport } from '../transport/index.js';
import { listAll } from '../transport/index.js';
import {
  diffMonitoring,
  type MonitoringChange,
  type MonitoringTarget,
  planMonitoring,
} from './plan-monitoring.js';

export interface MonitoringApplyResult {
  changes: MonitoringChange[];
  applied: boolean;
}

/** Reads the project's uptime checks and alert policies and diffs them against the wanted ones. */
export async function getMonitoringPlan(
  transport: GcpTransport,
  target: MonitoringTarget,
): Promise<MonitoringChange[]> {
  const read = (collection: 'uptimeCheckConfigs' | 'alertPolicies') =>
    listAll(async (pageToken) => {
      const page = await transport.request<Record<string, unknown>>({
        api: 'monitoring',
        method: 'GET',
        path: `/v3/projects/${target.project}/${collection}`,
        query: { pageSize: 500, pageToken },
      });
      return {
        items: page[collection] as Record<string, unknown>[] | undefined,
        nextPageToken: page.nextPageToken as string | undefined,
      };
    });
  return diffMonitoring(planMonitoring(target), {
    uptimeCheckConfigs: await read('uptimeCheckConfigs'),
    alertPolicies: await read('alertPolicies'),
  });
}

/** Applies a diff: POST for new resources, PATCH with updateMask of the changed fields. Idempotent. */
export async function applyMonitoring(
  transport: GcpTransport,
  target: MonitoringTarget,
  changes: readonly MonitoringChange[],
): Promise<MonitoringApplyResult> {
  for (const change of changes) {
    const collection = change.resource.kind === 'uptimeCheckConfig' ? 'uptimeCheckConfigs' : 'alertPolicies';
    if (change.action === 'create')
      await transport.request({
        api: 'monitoring',
        method: 'POST',
        path: `/v3/projects/${target.project}/${collection}`,
        body: change.resource.body,
      });
    else if (change.action === 'update')
      await transport.request({
        api: 'monitoring',
        method: 'PATCH',
        path: `/v3/${change.name}`,
        query: { updateMask: change.fields.join(',') },
        body: Object.fromEntries(change.fields.map((f) => [f, change.resource.body[f]])),
      });
  }
  return { changes: [...changes], applied: transport.mode === 'live' };
}
