import type { Command } from 'commander';
import { verifyAuditChain } from '../../audit/index.js';
import type { CliIo } from '../io.js';
import { printJson, renderTable } from '../render.js';
import { globalsOf, parseDurationOption, parseTimeOption, styleOf, withWorkspace } from './shared.js';

export function register(program: Command, io: CliIo): void {
  const audit = program.command('audit').description('read and verify the hash-chained audit trail');
  audit
    .command('log')
    .description('list audit events, oldest first')
    .option('--env <name>', 'only this environment')
    .option('--since <time|duration>', 'ISO time, or a duration back from now such as 24h')
    .option('--limit <n>', 'only the newest n events', (v) => Number.parseInt(v, 10))
    .action(async (options: { env?: string; since?: string; limit?: number }, command: Command) =>
      withWorkspace(io, command, async (ws) => {
        const since = options.since
          ? /^\d+(\.\d+)?(ms|s|m|h|d|w)$/.test(options.since)
            ? new Date(ws.clock.nowMs() - parseDurationOption('--since', options.since)!)
            : parseTimeOption('--since', options.since)
          : undefined;
        const events = ws.audit.list({
          ...(options.env ? { environment: options.env } : {}),
          ...(since ? { since } : {}),
          ...(options.limit ? { limit: options.limit } : {}),
        });
        if (globalsOf(command).json) return printJson(io, { events });
        const s = styleOf(command, io);
        if (events.length === 0) return io.stdout('No audit events yet.\n');
        io.stdout(
          `${renderTable(
            events.map((e) => [
              `#${e.seq}`,
              e.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
              e.actor,
              e.environment ?? '-',
              e.action,
              e.outcome === 'success'
                ? s.ok(e.outcome)
                : e.outcome === 'overridden'
                  ? s.warn(e.outcome)
                  : e.outcome === 'started'
                    ? e.outcome
                    : s.bad(e.outcome),
              [e.target, e.reason ? `reason: ${e.reason}` : undefined].filter(Boolean).join(' · '),
            ]),
            ['SEQ', 'TIME', 'ACTOR', 'ENV', 'ACTION', 'OUTCOME', 'TARGET / REASON'],
          )}\n`,
        );
      }),
    );
  audit
    .command('verify')
    .description('check the hash chain; exit 1 at the first edited, deleted, inserted or reordered event')
    .option(
      '--expect-head <hash>',
      'a head hash you kept elsewhere (CI log, tag message) to detect a full rewrite',
    )
    .action(async (options: { expectHead?: string }, command: Command) =>
      withWorkspace(io, command, async (ws) => {
        const { events, head } = ws.audit.readAllForVerification();
        const result = verifyAuditChain(events, head, options.expectHead);
        if (!result.ok) io.setExitCode(1);
        if (globalsOf(command).json) return printJson(io, result);
        const s = styleOf(command, io);
        if (result.ok) io.stdout(`${s.ok('✓')} ${result.message} Head ${result.headHash}\n`);
        else
          io.stdout(
            `${s.bad('✗')} Audit chain broken at event #${result.firstBadSeq} (${result.problem}): ${result.message}\n`,
          );
      }),
    );
}
