import type { Command } from 'commander';
import { DeployEvents, openPipeline, runRollback } from '../../deploy/index.js';
import { redactValue } from '../../kernel/redact.js';
import type { CliIo } from '../io.js';
import { SYMBOL } from '../render.js';
import { renderDeployEvents } from './deploy.js';
import { globalsOf, parseDurationOption, styleOf, withWorkspace } from './shared.js';

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
    .action(async (env: string, flags: { to?: string; reason?: string; lockWait: string }, cmd: Command) =>
      withWorkspace(io, cmd, async (ws) => {
        const json = Boolean(globalsOf(cmd).json);
        const s = styleOf(cmd, io);
        const events = new DeployEvents();
        renderDeployEvents(io, events, s, json);
        const pipeline = await openPipeline(ws, { events });
        try {
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
          if (json) return io.stdout(`${JSON.stringify(redactValue({ event: 'result', ...result }))}\n`);
          io.stdout(`\n${s.ok(SYMBOL.pass)} ${result.message}\n`);
          if (result.superseded.length > 0)
            io.stdout(`  closed interrupted operation ${result.superseded.join(', ')}\n`);
        } finally {
          await pipeline.close();
        }
      }),
    );
}
