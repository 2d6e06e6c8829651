import type { MaintenanceSettings } from '../../platform/platform.js';
import type { CloudRunPlatform } from '../cloudrun/cloud-run-platform.js';
import type { PlanTransport } from '../transport/index.js';
import type { PlannedStep } from './plan-gcp-operations.js';

async function collect(
  transport: PlanTransport,
  steps: PlannedStep[],
  step: string,
  fn: () => Promise<unknown>,
): Promise<void> {
  const before = transport.calls.length;
  await fn();
  steps.push({ step, calls: transport.calls.slice(before) });
}

/**
 * The Google API calls of one rollback (the same journaled steps as runRollback): read the target
 * revision (Cloud Run has no stopped revision to start), wait until it is ready, then one PATCH that
 * sends it 100 %.
 */
export async function planCloudRunRollback(
  platform: CloudRunPlatform,
  transport: PlanTransport,
  input: { environment: string; to: string },
): Promise<PlannedStep[]> {
  const steps: PlannedStep[] = [];
  await collect(transport, steps, `start-target (${input.to})`, async () => {
    const rev = await platform.getRevision(input.environment, input.to);
    if (rev.state !== 'ready') await platform.startRevision(input.environment, input.to);
  });
  await collect(transport, steps, 'wait-ready', () =>
    platform.waitReady(input.environment, input.to, 60_000),
  );
  await collect(transport, steps, `switch (100 % to ${input.to})`, () =>
    platform.setTraffic(input.environment, [{ revision: input.to, percent: 100 }]),
  );
  return steps;
}

/**
 * The Google API calls of `maintenance on|off`: on deploys the maintenance revision at 0 % (once) and
 * moves 100 % to it, keeping the replaced traffic in an annotation; off restores that traffic exactly.
 */
export async function planCloudRunMaintenance(
  platform: CloudRunPlatform,
  transport: PlanTransport,
  input: { environment: string; settings: MaintenanceSettings | null },
): Promise<PlannedStep[]> {
  const steps: PlannedStep[] = [];
  await collect(
    transport,
    steps,
    input.settings
      ? 'maintenance on (maintenance revision, then 100 % to it)'
      : 'maintenance off (restore traffic)',
    () => platform.setMaintenance(input.environment, input.settings),
  );
  return steps;
}
