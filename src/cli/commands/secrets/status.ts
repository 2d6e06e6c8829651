import type { Command } from 'commander';
import { getSecretStatus } from '../../../secrets/index.js';
import type { CliIo } from '../../io.js';
import { printJson, renderTable } from '../../render.js';
import { globalsOf, styleOf } from '../shared.js';
import { withSecrets } from './session.js';

function day(iso: string | null | undefined): string {
  return iso ? iso.slice(0, 10) : '-';
}

export function registerStatus(secrets: Command, io: CliIo): void {
  secrets
    .command('status')
    .description('rotation schedule: age, next due date, overdue secrets in red (exit 1 when any is overdue)')
    .option('--env <env>', 'only this environment')
    .action(async (options: { env?: string }, command: Command) =>
      withSecrets(io, command, {}, async ({ ctx }) => {
        const rows = await getSecretStatus(ctx, options.env ? { environment: options.env } : {});
        const overdue = rows.filter((r) => r.state !== 'ok');
        if (overdue.length > 0) io.setExitCode(1);
        if (globalsOf(command).json) return printJson(io, { ok: overdue.length === 0, secrets: rows });
        if (rows.length === 0) return io.stdout('No secrets yet.\n');
        const s = styleOf(command, io);
        io.stdout(
          `${renderTable(
            rows.map((r) => {
              const paint = r.state === 'ok' ? s.ok : s.bad;
              return [
                r.environment,
                r.name,
                r.kind,
                r.pinnedVersion ? `v${r.pinnedVersion}` : '-',
                r.ageDays === null ? '-' : `${r.ageDays}d`,
                `${r.rotationEveryDays}d`,
                day(r.nextDue),
                paint(r.state === 'ok' ? (r.rotatable ? 'ok' : 'ok (reminder)') : r.state),
                day(r.lastRotation),
              ];
            }),
            ['ENV', 'NAME', 'KIND', 'PINNED', 'AGE', 'EVERY', 'NEXT DUE', 'STATE', 'LAST ROTATED'],
          )}\n`,
        );
      }),
    );
}
