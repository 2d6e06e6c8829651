import type { Command } from 'commander';
import {
  type CloudRunEnvironmentBinding,
  type CloudRunPlatform,
  cloudRunBindings,
  openCloudRunPlatform,
  openGcpTransport,
  type PlannedStep,
  type PlanTransport,
  renderPlannedSteps,
} from '../../gcp/index.js';
import { UsageError } from '../../kernel/errors.js';
import type { Workspace } from '../../workspace/index.js';
import type { CliIo } from '../io.js';
import { globalsOf } from './shared.js';

export const PLAN_FLAG_HELP =
  'print every Google API call this would make (Cloud Run environments), make none, journal nothing';

export interface PlanContext {
  binding: CloudRunEnvironmentBinding;
  platform: CloudRunPlatform;
  transport: PlanTransport;
}

/**
 * `--plan` of a mutating command: for a Cloud Run environment, runs the command's adapter calls against
 * a PlanTransport (reads are made, writes only recorded) and prints them. A local-platform environment
 * is refused: its operations drive local processes, not API calls, so there is nothing to list.
 */
export async function runPlanFlag(
  io: CliIo,
  command: Command,
  ws: Workspace,
  environment: string,
  what: string,
  plan: (context: PlanContext) => Promise<PlannedStep[]>,
): Promise<void> {
  const binding = cloudRunBindings(ws.config).get(environment);
  if (!binding)
    throw new UsageError(
      'PRODGUARD_GCP_NOT_CONFIGURED',
      `--plan lists Google API calls, and ${environment} runs on the local platform, which makes none.`,
      {
        hint: `Run it without --plan (prodguard preflight ${environment} shows what the rules say first), or set environments.${environment}.platform.kind: cloudrun.`,
      },
    );
  const transport = openGcpTransport({ env: ws.env, clock: ws.clock, plan: true }) as PlanTransport;
  const platform = openCloudRunPlatform(ws.config, { transport, clock: ws.clock })!;
  const steps = await plan({ binding, platform, transport });
  if (globalsOf(command).json) {
    io.stdout(`${JSON.stringify({ plan: what, environment, steps }, null, 2)}\n`);
    return;
  }
  const writes = steps.reduce((n, s) => n + s.calls.filter((c) => c.kind === 'write').length, 0);
  io.stdout(
    `Plan of ${what} on ${environment} (Cloud Run ${binding.project}/${binding.region}/${binding.service}):\n`,
  );
  io.stdout(`${renderPlannedSteps(steps)}\n`);
  io.stdout(`\n${writes} write(s) planned; none made. Run without --plan to make them.\n`);
}
