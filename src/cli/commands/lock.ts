import type { Command } from 'commander';
import { withAuditAnchor } from '../../audit/index.js';
import { runLockBreak } from '../../lock/index.js';
import { readLockHolders } from '../../store/index.js';
import type { CliIo } from '../io.js';
import { printJson, renderTable, SYMBOL } from '../render.js';
import { globalsOf, styleOf, withWorkspace } from './shared.js';

export function register(program: Command, io: CliIo): void {
  const lock = program
    .command('lock')
    .description('environment locks: one mutating operation per environment at a time');
  lock
    .command('status')
    .description('who holds which environment lock')
    .action(async (_flags: unknown, command: Command) =>
      withWorkspace(io, command, async (ws) => {
        const holders = readLockHolders(ws.store);
        if (globalsOf(command).json) return printJson(io, { locks: holders });
        if (holders.length === 0) return io.stdout('No environment is locked.\n');
        io.stdout(
          `${renderTable(
            holders.map((h) => [
              h.environment,
              h.operation,
              h.owner,
              `pid ${h.pid}@${h.host}`,
              h.acquiredAt,
              `expires ${h.expiresAt}`,
            ]),
            ['ENV', 'OPERATION', 'OWNER', 'PROCESS', 'SINCE', 'LEASE'],
          )}\n`,
        );
      }),
    );
  lock
    .command('break')
    .description('remove a lock whose holder is stuck (a dead holder is taken over automatically)')
    .argument('<env>', 'environment')
    .requiredOption('--reason <text>', 'why breaking it is safe')
    .action(async (env: string, flags: { reason: string }, command: Command) =>
      withWorkspace(io, command, async (ws) => {
        const { broken: holder } = runLockBreak(
          { store: ws.store, audit: ws.audit, actor: await ws.actor() },
          { environment: env, reason: flags.reason },
        );
        if (globalsOf(command).json)
          return printJson(io, withAuditAnchor({ ok: true, broken: holder }, ws.audit));
        io.stdout(
          `${styleOf(command, io).ok(SYMBOL.pass)} Broke the lock on ${env} held by ${holder.owner} (${holder.operation}).\n`,
        );
      }),
    );
}
