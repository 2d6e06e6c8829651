import type { Command } from 'commander';
import { listOperations, type OperationSummary } from '../../app/index.js';
import type { CliIo } from '../io.js';
import { printJson, renderTable, type Style } from '../render.js';
import { renderSteps } from '../render-operation.js';
import { globalsOf, styleOf, withWorkspace } from './shared.js';

function paintStatus(status: OperationSummary['status'], s: Style): string {
  if (status === 'succeeded') return s.ok(status);
  if (status === 'running') return s.warn(status);
  if (status === 'aborted') return s.dim(status);
  return s.bad(status);
}

export function register(program: Command, io: CliIo): void {
  program
    .command('operations')
    .description(
      'every operation (deploys, rollbacks, maintenance, rotations, migrations, restores): running, interrupted, finished',
    )
    .option('--env <name>', 'only this environment')
    .option('--limit <n>', 'how many, newest first', (v) => Number.parseInt(v, 10), 20)
    .option('--steps', "show each operation's steps")
    .action(async (options: { env?: string; limit: number; steps?: boolean }, command: Command) =>
      withWorkspace(io, command, async (ws) => {
        const operations = listOperations(ws, { environment: options.env, limit: options.limit });
        if (globalsOf(command).json) return printJson(io, { operations });
        if (operations.length === 0) return io.stdout('No operations yet.\n');
        const s = styleOf(command, io);
        // A child (a rotation's rollout) is listed right under its parent.
        const ordered = [
          ...operations.filter((op) => !op.parentId || !operations.some((o) => o.id === op.parentId)),
        ].flatMap((op) => [op, ...operations.filter((c) => c.parentId === op.id)]);
        const rows = ordered.map((op) => [
          op.parentId ? `  └ ${op.id}` : op.id,
          op.kind,
          op.environment,
          paintStatus(op.status, s),
          op.status === 'running' || op.status === 'interrupted' ? (op.lastStep ?? 'start') : '',
          op.startedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
          [op.subject, op.error].filter(Boolean).join(' · '),
        ]);
        io.stdout(
          `${renderTable(rows, ['OPERATION', 'KIND', 'ENV', 'STATUS', 'AT STEP', 'STARTED', 'SUBJECT'])}\n`,
        );
        if (options.steps)
          for (const op of operations)
            io.stdout(`\n${s.bold(op.id)} (${op.kind})\n${renderSteps(op.steps, s)}\n`);
        const interrupted = operations.filter((op) => op.status === 'interrupted' && !op.parentId);
        for (const op of interrupted)
          io.stdout(
            s.warn(
              `! ${op.kind} ${op.id} was interrupted: prodguard resume ${op.id} · or prodguard abort ${op.id}\n`,
            ),
          );
      }),
    );
}
