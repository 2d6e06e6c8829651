import type { Command } from 'commander';
import { runAudited, withAuditAnchor } from '../../audit/index.js';
import { readAgentStatus, stopAgent } from '../../platform/index.js';
import type { CliIo } from '../io.js';
import { printJson } from '../render.js';
import { globalsOf, styleOf, withWorkspace } from './shared.js';

export function register(program: Command, io: CliIo): void {
  program
    .command('down')
    .description('stop the local platform agent; every revision is drained and stopped')
    .action(async (_options: unknown, command: Command) =>
      withWorkspace(io, command, async (ws) => {
        const status = await readAgentStatus(ws.config);
        const result = status.running
          ? (
              await runAudited(
                ws.audit,
                {
                  actor: await ws.actor(),
                  action: 'platform.down',
                  target: status.url,
                  details: { pid: status.pid },
                },
                () => stopAgent(ws.config, ws.clock),
              )
            ).value
          : { wasRunning: false as const };
        if (globalsOf(command).json) return printJson(io, withAuditAnchor({ ok: true, ...result }, ws.audit));
        const s = styleOf(command, io);
        io.stdout(
          result.wasRunning
            ? `${s.ok('✓')} Agent (pid ${result.pid}) stopped, with every revision.\n`
            : `${s.ok('✓')} No agent was running.\n`,
        );
      }),
    );
}
