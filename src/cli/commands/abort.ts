import type { Command } from 'commander';
import { DeployEvents, openPipeline, runAbort } from '../../deploy/index.js';
import { redactValue } from '../../kernel/redact.js';
import type { CliIo } from '../io.js';
import { SYMBOL } from '../render.js';
import { renderDeployEvents } from './deploy.js';
import { globalsOf, styleOf, withWorkspace } from './shared.js';

export function register(program: Command, io: CliIo): void {
  program
    .command('abort')
    .description('abort the interrupted operation on an environment and restore the traffic it found')
    .argument('<env>', 'environment')
    .action(async (env: string, _flags: unknown, cmd: Command) =>
      withWorkspace(io, cmd, async (ws) => {
        const json = Boolean(globalsOf(cmd).json);
        const s = styleOf(cmd, io);
        const events = new DeployEvents();
        renderDeployEvents(io, events, s, json);
        const pipeline = await openPipeline(ws, { events });
        try {
          const result = await runAbort(pipeline.config, { environment: env }, pipeline.deps);
          if (json) return io.stdout(`${JSON.stringify(redactValue({ event: 'result', ...result }))}\n`);
          io.stdout(`${s.ok(SYMBOL.pass)} ${result.message}\n`);
        } finally {
          await pipeline.close();
        }
      }),
    );
}
