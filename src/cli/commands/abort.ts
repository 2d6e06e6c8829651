import type { Command } from 'commander';
import { runAbort } from '../../deploy/index.js';
import type { CliIo } from '../io.js';
import { SYMBOL } from '../render.js';
import { printResultEvent, withDeployPipeline } from './deploy.js';
import { withWorkspace } from './shared.js';

export function register(program: Command, io: CliIo): void {
  program
    .command('abort')
    .description('abort the interrupted operation on an environment and restore the traffic it found')
    .argument('<env>', 'environment')
    .action(async (env: string, _flags: unknown, cmd: Command) =>
      withWorkspace(io, cmd, (ws) =>
        withDeployPipeline(io, cmd, ws, {}, async ({ pipeline, json, s }) => {
          const result = await runAbort(pipeline.config, { environment: env }, pipeline.deps);
          if (json) return printResultEvent(io, result);
          io.stdout(`${s.ok(SYMBOL.pass)} ${result.message}\n`);
        }),
      ),
    );
}
