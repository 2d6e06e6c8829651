import { Argument, type Command } from 'commander';
import { planMaintenanceCalls, runMaintenance } from '../../deploy/index.js';
import type { CliIo } from '../io.js';
import { SYMBOL } from '../render.js';
import { printResultEvent, withDeployPipeline } from './deploy.js';
import { PLAN_FLAG_HELP, runPlanFlag } from './plan-flag.js';
import { parseTimeOption, withWorkspace } from './shared.js';

export function register(program: Command, io: CliIo): void {
  program
    .command('maintenance')
    .description('on: serve a 503 maintenance page (traffic kept); off: restore exactly the previous traffic')
    .addArgument(new Argument('<mode>', 'on or off').choices(['on', 'off'] as const))
    .argument('<env>', 'environment')
    .option('--message <text>', 'shown on the maintenance page')
    .option('--until <time>', 'expected end, ISO 8601 (drives Retry-After)')
    .option('--plan', PLAN_FLAG_HELP)
    .action(
      async (
        mode: 'on' | 'off',
        env: string,
        flags: { message?: string; until?: string; plan?: boolean },
        cmd: Command,
      ) =>
        withWorkspace(io, cmd, async (ws) => {
          const until = parseTimeOption('--until', flags.until);
          if (flags.plan)
            return runPlanFlag(io, cmd, ws, env, `maintenance ${mode}`, (target) =>
              planMaintenanceCalls(target, {
                environment: env,
                on: mode === 'on',
                ...(flags.message ? { message: flags.message } : {}),
                ...(until ? { until: until.toISOString() } : {}),
              }),
            );
          await withDeployPipeline(io, cmd, ws, {}, async ({ pipeline, json, s }) => {
            const result = await runMaintenance(
              pipeline.config,
              {
                environment: env,
                on: mode === 'on',
                ...(flags.message ? { message: flags.message } : {}),
                ...(until ? { until: until.toISOString() } : {}),
              },
              pipeline.deps,
            );
            if (json) return printResultEvent(io, result, ws.audit);
            io.stdout(`${s.ok(SYMBOL.pass)} ${result.message}\n`);
          });
        }),
    );
}
