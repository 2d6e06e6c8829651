import type { Command } from 'commander';
import { ProdguardError } from '../../kernel/errors.js';
import { breakEnvironmentLock, readLockHolders } from '../../store/index.js';
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
        const holder = breakEnvironmentLock(ws.store, env);
        if (!holder) {
          throw new ProdguardError('PRODGUARD_LOCK_NOT_HELD', `Environment ${env} is not locked.`, {
            kind: 'usage',
            hint: 'prodguard lock status lists the held locks.',
          });
        }
        ws.audit.append({
          actor: await ws.actor(),
          environment: env,
          action: 'lock:break',
          target: holder.operation,
          reason: flags.reason,
          outcome: 'success',
          details: { holder },
        });
        if (globalsOf(command).json) return printJson(io, { ok: true, broken: holder });
        io.stdout(
          `${styleOf(command, io).ok(SYMBOL.pass)} Broke the lock on ${env} held by ${holder.owner} (${holder.operation}).\n`,
        );
      }),
    );
}
