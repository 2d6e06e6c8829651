import type { Command } from 'commander';
import { formatDuration } from '../../kernel/duration.js';
import { readAlertStatus } from '../../monitor/index.js';
import type { CliIo } from '../io.js';
import { printJson, renderTable, SYMBOL } from '../render.js';
import { globalsOf, styleOf, withWorkspace } from './shared.js';

export function register(program: Command, io: CliIo): void {
  program
    .command('alerts')
    .description('pending and firing alerts, the silences muting them, failed notifications')
    .option('--env <name>', 'only this environment')
    .action(async (flags: { env?: string }, command: Command) =>
      withWorkspace(io, command, async (ws) => {
        const now = ws.clock.nowMs();
        const status = readAlertStatus(ws.store, {
          nowMs: now,
          ...(flags.env ? { environment: flags.env } : {}),
        });
        // Exit code 1 while a page-severity alert fires unmuted, so scripts can gate on it.
        const paging = status.alerts.some(
          (a) => a.state === 'firing' && a.severity === 'page' && a.silencedBy.length === 0,
        );
        if (paging) io.setExitCode(1);
        if (globalsOf(command).json) return printJson(io, status);
        const s = styleOf(command, io);
        if (status.alerts.length === 0)
          io.stdout(
            `${s.ok(SYMBOL.pass)} No pending or firing alerts${flags.env ? ` on ${flags.env}` : ''}.\n`,
          );
        else {
          io.stdout(
            `${renderTable(
              status.alerts.map((a) => [
                `  ${a.state === 'firing' ? s.bad(SYMBOL.fail) : s.warn(SYMBOL.warn)} ${a.environment}`,
                a.rule,
                a.state,
                a.severity,
                formatDuration(Math.max(0, now - (a.firingSince ?? a.activeSince ?? now))),
                a.silencedBy.length > 0 ? `silenced (${a.silencedBy.join(', ')})` : '',
                a.summary,
              ]),
              ['  ENVIRONMENT', 'ALERT', 'STATE', 'SEVERITY', 'FOR', 'MUTED', 'SUMMARY'],
            )}\n`,
          );
        }
        for (const d of status.failedDeliveries) {
          io.stdout(
            `${s.bad(SYMBOL.fail)} notifier ${d.notifier} failed after ${d.attempts} attempts: ${d.lastError}\n`,
          );
        }
      }),
    );
}
