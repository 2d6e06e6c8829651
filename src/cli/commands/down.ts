import type { Command } from 'commander';
import { stopAgent } from '../../platform/index.js';
import type { CliIo } from '../io.js';
import { printJson } from '../render.js';
import { globalsOf, styleOf, withWorkspace } from './shared.js';

export function register(program: Command, io: CliIo): void {
  program
    .command('down')
    .description('stop the local platform agent; every revision is drained and stopped')
    .action(async (_options: unknown, command: Command) =>
      withWorkspace(io, command, async (ws) => {
        const result = await stopAgent(ws.config, ws.clock);
        if (result.wasRunning) {
          ws.audit.append({
            actor: await ws.actor(),
            action: 'platform.down',
            outcome: 'success',
            details: { pid: result.pid },
          });
        }
        if (globalsOf(command).json) return printJson(io, { ok: true, ...result });
        const s = styleOf(command, io);
        io.stdout(
          result.wasRunning
            ? `${s.ok('✓')} Agent (pid ${result.pid}) stopped, with every revision.\n`
            : `${s.ok('✓')} No agent was running.\n`,
        );
      }),
    );
}
