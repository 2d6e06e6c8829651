import type { Command } from 'commander';
import { abortOperation } from '../../app/index.js';
import { DeployEvents } from '../../deploy/index.js';
import type { CliIo } from '../io.js';
import { SYMBOL } from '../render.js';
import { printResultEvent, renderDeployEvents } from './deploy.js';
import { globalsOf, parseDurationOption, styleOf, withWorkspace } from './shared.js';

export function register(program: Command, io: CliIo): void {
  program
    .command('abort')
    .description(
      'undo an interrupted operation of any kind: restore the traffic, pins or migration rows it found',
    )
    .argument('<target>', 'an environment (its one interrupted operation) or an operation id')
    .option('--wait <duration>', 'wait this long for the environment lock')
    .action(async (target: string, flags: { wait?: string }, cmd: Command) =>
      withWorkspace(io, cmd, async (ws) => {
        const json = Boolean(globalsOf(cmd).json);
        const s = styleOf(cmd, io);
        const events = new DeployEvents(ws.log);
        renderDeployEvents(io, events, s, json);
        const lockWaitMs = parseDurationOption('--wait', flags.wait);
        const outcome = await abortOperation(ws, target, {
          events,
          ...(lockWaitMs !== undefined ? { lockWaitMs } : {}),
        });
        if (json) return printResultEvent(io, outcome, ws.audit);
        io.stdout(`${s.ok(SYMBOL.pass)} ${outcome.message}\n`);
      }),
    );
}
