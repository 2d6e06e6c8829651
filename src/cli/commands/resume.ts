import type { Command } from 'commander';
import { DeployEvents, openPipeline, runResume } from '../../deploy/index.js';
import { redactValue } from '../../kernel/redact.js';
import type { CliIo } from '../io.js';
import { SYMBOL } from '../render.js';
import { deployExitCode, renderDeployEvents } from './deploy.js';
import { globalsOf, styleOf, withWorkspace } from './shared.js';

export function register(program: Command, io: CliIo): void {
  program
    .command('resume')
    .description('continue the interrupted deploy or rollback on an environment from its last journaled step')
    .argument('<env>', 'environment')
    .action(async (env: string, _flags: unknown, cmd: Command) =>
      withWorkspace(io, cmd, async (ws) => {
        const json = Boolean(globalsOf(cmd).json);
        const s = styleOf(cmd, io);
        const events = new DeployEvents();
        renderDeployEvents(io, events, s, json);
        const pipeline = await openPipeline(ws, { events, signal: io.signal });
        try {
          const resumed = await runResume(pipeline.config, { environment: env }, pipeline.deps);
          if (json) io.stdout(`${JSON.stringify(redactValue({ event: 'result', ...resumed }))}\n`);
          else {
            const ok = resumed.kind === 'rollback' || resumed.result.outcome === 'success';
            io.stdout(`\n${ok ? s.ok(SYMBOL.pass) : s.bad(SYMBOL.fail)} ${resumed.result.message}\n`);
          }
          if (resumed.kind === 'deploy') io.setExitCode(deployExitCode(resumed.result));
        } finally {
          await pipeline.close();
        }
      }),
    );
}
