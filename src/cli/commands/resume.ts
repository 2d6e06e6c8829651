import type { Command } from 'commander';
import { runResume } from '../../deploy/index.js';
import type { CliIo } from '../io.js';
import { SYMBOL } from '../render.js';
import { deployExitCode, printResultEvent, withDeployPipeline } from './deploy.js';
import { withWorkspace } from './shared.js';

export function register(program: Command, io: CliIo): void {
  program
    .command('resume')
    .description('continue the interrupted deploy or rollback on an environment from its last journaled step')
    .argument('<env>', 'environment')
    .action(async (env: string, _flags: unknown, cmd: Command) =>
      withWorkspace(io, cmd, (ws) =>
        withDeployPipeline(io, cmd, ws, { signal: io.signal }, async ({ pipeline, json, s }) => {
          const resumed = await runResume(pipeline.config, { environment: env }, pipeline.deps);
          if (json) printResultEvent(io, resumed);
          else {
            const ok = resumed.kind === 'rollback' || resumed.result.outcome === 'success';
            io.stdout(`\n${ok ? s.ok(SYMBOL.pass) : s.bad(SYMBOL.fail)} ${resumed.result.message}\n`);
          }
          if (resumed.kind === 'deploy') io.setExitCode(deployExitCode(resumed.result));
        }),
      ),
    );
}
