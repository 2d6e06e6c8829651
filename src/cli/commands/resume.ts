import type { Command } from 'commander';
import { resumeOperation } from '../../app/index.js';
import { DeployEvents } from '../../deploy/index.js';
import type { CliIo } from '../io.js';
import { SYMBOL } from '../render.js';
import { renderSteps } from '../render-operation.js';
import { printResultEvent, renderDeployEvents } from './deploy.js';
import { globalsOf, parseDurationOption, styleOf, withWorkspace } from './shared.js';

export function register(program: Command, io: CliIo): void {
  program
    .command('resume')
    .description(
      'continue an interrupted operation of any kind (deploy, rollback, maintenance, rotation, migration) from its last journaled step',
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
        const outcome = await resumeOperation(ws, target, {
          events,
          signal: io.signal,
          ...(lockWaitMs !== undefined ? { lockWaitMs } : {}),
        });
        io.setExitCode(outcome.failed ? 3 : 0);
        if (json) return printResultEvent(io, outcome, ws.audit);
        io.stdout(`${renderSteps(outcome.steps, s)}\n`);
        io.stdout(`\n${outcome.ok ? s.ok(SYMBOL.pass) : s.bad(SYMBOL.fail)} ${outcome.message}\n`);
      }),
    );
}
