import type { Command } from 'commander';
import { planRollbackCalls, runRollback } from '../../deploy/index.js';
import type { CliIo } from '../io.js';
import { SYMBOL } from '../render.js';
import { printResultEvent, withDeployPipeline } from './deploy.js';
import { PLAN_FLAG_HELP, runPlanFlag } from './plan-flag.js';
import { parseDurationOption, withWorkspace } from './shared.js';

export function register(program: Command, io: CliIo): void {
  program
    .command('rollback')
    .description(
      'send all traffic back to the last known-good (or the named) revision; always allowed, audited',
    )
    .argument('<env>', 'environment')
    .option('--to <revision>', 'revision to return to (default: the last known-good one)')
    .option('--reason <text>', 'why (recorded in the audit trail)')
    .option('--lock-wait <duration>', 'wait this long for the environment lock', '30s')
    .option('--plan', PLAN_FLAG_HELP)
    .action(
      async (
        env: string,
        flags: { to?: string; reason?: string; lockWait: string; plan?: boolean },
        cmd: Command,
      ) =>
        withWorkspace(io, cmd, async (ws) => {
          if (flags.plan)
            return runPlanFlag(io, cmd, ws, env, 'rollback', (target) =>
              planRollbackCalls(ws, target, { environment: env, ...(flags.to ? { to: flags.to } : {}) }),
            );
          await withDeployPipeline(io, cmd, ws, {}, async ({ pipeline, json, s }) => {
            const result = await runRollback(
              pipeline.config,
              {
                environment: env,
                ...(flags.to ? { to: flags.to } : {}),
                ...(flags.reason ? { reason: flags.reason } : {}),
                lockWaitMs: parseDurationOption('--lock-wait', flags.lockWait)!,
              },
              pipeline.deps,
            );
            if (json) return printResultEvent(io, result, ws.audit);
            io.stdout(`\n${s.ok(SYMBOL.pass)} ${result.message}\n`);
            if (result.superseded.length > 0)
              io.stdout(`  closed interrupted operation ${result.superseded.join(', ')}\n`);
          });
        }),
    );
}
