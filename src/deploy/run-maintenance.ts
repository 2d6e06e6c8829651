import type { Service } from '../platform/index.js';
import { withEnvironmentLock } from '../store/index.js';
import { readDeploySettings } from './deploy-settings.js';
import { assertEnvironment, type PipelineConfig, type PipelineDeps } from './pipeline-deps.js';
import { refuseInterrupted } from './refuse-interrupted.js';

export interface MaintenanceRequest {
  environment: string;
  on: boolean;
  message?: string;
  /** ISO time maintenance is expected to end (Retry-After). */
  until?: string;
  lockWaitMs?: number;
}

export interface MaintenanceResult {
  environment: string;
  on: boolean;
  service: Service;
  message: string;
}

export const DEFAULT_MAINTENANCE_MESSAGE =
  'We are performing scheduled maintenance and will be back shortly.';

/**
 * `prodguard maintenance on|off <env>` (seed §11): on drains the environment behind a 503 page and keeps
 * its traffic; off restores that traffic exactly. Takes the environment lock like any change.
 */
export async function runMaintenance(
  config: PipelineConfig,
  request: MaintenanceRequest,
  deps: PipelineDeps,
): Promise<MaintenanceResult> {
  assertEnvironment(config, request.environment);
  const settings = readDeploySettings(config);
  return withEnvironmentLock(
    deps.store.stateStore,
    {
      environment: request.environment,
      operation: `maintenance ${request.on ? 'on' : 'off'}`,
      owner: deps.actor,
      clock: deps.clock,
      waitMs: request.lockWaitMs ?? settings.lockWait ?? 0,
      ...(deps.lockTtlMs ? { ttlMs: deps.lockTtlMs } : {}),
    },
    async () => {
      refuseInterrupted(deps, request.environment);
      const service = await deps.platform.setMaintenance(
        request.environment,
        request.on
          ? {
              message: request.message ?? DEFAULT_MAINTENANCE_MESSAGE,
              ...(request.until ? { until: request.until } : {}),
            }
          : null,
      );
      const message = request.on
        ? `${request.environment} is in maintenance: 503 with Retry-After${request.until ? ` until ${request.until}` : ''}; traffic kept for \`maintenance off\`.`
        : `${request.environment} is open again: traffic restored to ${service.traffic.map((t) => `${t.revision}=${t.percent}`).join(', ') || '(none)'}.`;
      deps.events.emit('operation:finished', {
        operationId: '',
        environment: request.environment,
        kind: 'maintenance',
        outcome: 'success',
        elapsedMs: 0,
        message,
        action: request.on ? 'maintenance.on' : 'maintenance.off',
        ...(request.message ? { reason: request.message } : {}),
      });
      return { environment: request.environment, on: request.on, service, message };
    },
  );
}
