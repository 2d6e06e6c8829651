import { assertEnvironment } from '../config/index.js';
import {
  endOperation,
  type OperationRecord,
  OperationRunner,
  refuseInterrupted,
} from '../operations/index.js';
import type { Service } from '../platform/index.js';
import { withEnvironmentLock } from '../store/index.js';
import { effectiveTraffic } from './apply-traffic.js';
import { readDeploySettings } from './deploy-settings.js';
import type { PipelineConfig, PipelineDeps } from './pipeline-deps.js';

export interface MaintenanceRequest {
  environment: string;
  on: boolean;
  message?: string;
  /** ISO time maintenance is expected to end (Retry-After). */
  until?: string;
  lockWaitMs?: number;
}

export interface MaintenanceResult {
  operationId: string;
  environment: string;
  on: boolean;
  service: Service;
  message: string;
}

export const DEFAULT_MAINTENANCE_MESSAGE =
  'We are performing scheduled maintenance and will be back shortly.';

/**
 * `prodguard maintenance on|off <env>` (seed §11): on drains the environment behind a 503 page and keeps
 * its traffic; off restores that traffic exactly. A journaled operation under the environment lock.
 */
export async function runMaintenance(
  config: PipelineConfig,
  request: MaintenanceRequest,
  deps: PipelineDeps,
): Promise<MaintenanceResult> {
  assertEnvironment(config, request.environment);
  const settings = readDeploySettings(config);
  return withEnvironmentLock(
    deps.ops.stateStore,
    {
      environment: request.environment,
      operation: `maintenance ${request.on ? 'on' : 'off'}`,
      owner: deps.actor,
      clock: deps.clock,
      waitMs: request.lockWaitMs ?? settings.lockWait ?? 0,
      ...(deps.lockTtlMs ? { ttlMs: deps.lockTtlMs } : {}),
    },
    async (lock) => {
      refuseInterrupted(deps.ops, deps.events, request.environment);
      const before = await deps.platform.getService(request.environment);
      const { op } = deps.ops.begin({
        kind: 'maintenance',
        environment: request.environment,
        actor: deps.actor,
        params: {
          on: request.on,
          wasOn: before.maintenance !== undefined,
          trafficBefore: effectiveTraffic(before),
          ...(request.message ? { message: request.message } : {}),
          ...(request.until ? { until: request.until } : {}),
        },
        state: {},
        subject: request.on ? 'on' : 'off',
        audit: {
          action: request.on ? 'maintenance.on' : 'maintenance.off',
          target: request.environment,
          reason: request.message,
        },
      });
      return executeMaintenance(op, deps, new OperationRunner(op, deps.ops, deps.events, lock));
    },
  );
}

/** The one step of maintenance; what `resume` runs again (setting maintenance is idempotent). */
export async function executeMaintenance(
  op: OperationRecord<'maintenance'>,
  deps: PipelineDeps,
  runner: OperationRunner<'maintenance'>,
): Promise<MaintenanceResult> {
  const { on, until } = op.params;
  await runner.step(
    'set-maintenance',
    async () => {
      const service = await applyMaintenance(deps, op.environment, on, op.params.message, until);
      return { traffic: service.traffic, maintenance: service.maintenance !== undefined };
    },
    () => (on ? '503 page on' : 'traffic restored'),
  );
  const service = await deps.platform.getService(op.environment);
  const message = on
    ? `${op.environment} is in maintenance: 503 with Retry-After${until ? ` until ${until}` : ''}; traffic kept for \`maintenance off\`.`
    : `${op.environment} is open again: traffic restored to ${service.traffic.map((t) => `${t.revision}=${t.percent}`).join(', ') || '(none)'}.`;
  endOperation(deps.ops, deps.events, op, 'succeeded', { message, elapsedMs: runner.elapsed() });
  return { operationId: op.id, environment: op.environment, on, service, message };
}

/** Abort: maintenance back to what the operation found (on or off). */
export async function abortMaintenance(
  op: OperationRecord<'maintenance'>,
  deps: PipelineDeps,
): Promise<string> {
  const service = await deps.platform.getService(op.environment);
  const isOn = service.maintenance !== undefined;
  if (isOn !== op.params.wasOn)
    await applyMaintenance(deps, op.environment, op.params.wasOn, undefined, undefined);
  return op.params.wasOn ? 'maintenance is on, as it was' : 'maintenance is off, as it was';
}

function applyMaintenance(
  deps: PipelineDeps,
  environment: string,
  on: boolean,
  message: string | undefined,
  until: string | undefined,
): Promise<Service> {
  return deps.platform.setMaintenance(
    environment,
    on ? { message: message ?? DEFAULT_MAINTENANCE_MESSAGE, ...(until ? { until } : {}) } : null,
  );
}
