import type { Command } from 'commander';
import { parseAnchorDestination, runAuditAnchor, runAuditVerify } from '../../audit/index.js';
import type { CliIo } from '../io.js';
import { printJson, renderTable } from '../render.js';
import {
  collect,
  globalsOf,
  parseDurationOption,
  parseTimeOption,
  styleOf,
  withWorkspace,
} from './shared.js';

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
    .description(
      'check the hash chain and every anchor found (git tags, anchor files and URLs); exit 1 on any break',
    )
    .option('--expect-head <hash>', 'a head hash you kept elsewhere (CI log, tag message)')
    .option(
      '--anchor <file|url>',
      'also check the anchors kept in this file or at this URL (repeatable)',
      collect,
    )
    .action(async (options: { expectHead?: string; anchor?: string[] }, command: Command) =>
      withWorkspace(io, command, async (ws) => {
        const result = await runAuditVerify(ws, {
          ...(options.expectHead ? { expectedHead: options.expectHead } : {}),
          anchors: (options.anchor ?? []).map((a) => parseAnchorDestination(a, io.cwd)),
        });
        if (!result.ok) io.setExitCode(1);
        if (globalsOf(command).json) return printJson(io, result);
        const s = styleOf(command, io);
        if (result.ok) io.stdout(`${s.ok('✓')} ${result.message} Head ${result.headHash}\n`);
        else
          io.stdout(
            `${s.bad('✗')} Audit chain broken at event #${result.firstBadSeq} (${result.problem}): ${result.message}\n`,
          );
        const matched = result.anchors.filter((a) => a.status === 'matches');
        io.stdout(
          `  anchors checked: ${result.anchors.length} (${matched.length} match, ${result.anchors.filter((a) => a.external).length} outside the state store)\n`,
        );
        for (const source of result.sources) {
          io.stdout(
            source.error
              ? `  ${s.warn('!')} could not read ${source.source}: ${source.error}\n`
              : `  ${s.dim('·')} used ${source.source}: ${source.anchors} anchor(s)${source.external ? '' : ' (not trusted alone)'}${source.problems ? `; ${source.problems.join('; ')}` : ''}\n`,
          );
        }
        for (const a of result.anchors.filter((x) => x.status !== 'matches'))
          io.stdout(`  ${s.bad('✗')} ${a.source}: #${a.seq} ${a.hash.slice(0, 12)}… ${a.status}\n`);
        for (const w of result.warnings) io.stdout(`  ${s.warn('!')} ${w}\n`);
        if (result.unfinished.length > 0)
          io.stdout(
            `  ${s.dim('·')} ${result.unfinished.length} action(s) started without an outcome (still running, or interrupted): ${result.unfinished.map((u) => `#${u.seq} ${u.action}${u.environment ? ` ${u.environment}` : ''}`).join(', ')}\n`,
          );
      }),
    );
  audit
    .command('anchor')
    .description('write the current audit head (seq, hash, time) to an append-only file or POST it to a URL')
    .option('--to <file|url>', 'destination (repeatable); default: audit.anchors in prodguard.yaml', collect)
    .action(async (options: { to?: string[] }, command: Command) =>
      withWorkspace(io, command, async (ws) => {
        const destinations = options.to
          ? options.to.map((d) => parseAnchorDestination(d, io.cwd))
          : ws.config.audit.anchors.map((d) => parseAnchorDestination(d, ws.config.root));
        const result = await runAuditAnchor(
          { audit: ws.audit, store: ws.store, clock: ws.clock, project: ws.config.project.name },
          destinations,
        );
        if (!result.ok) io.setExitCode(3);
        if (globalsOf(command).json) return printJson(io, result);
        const s = styleOf(command, io);
        for (const w of result.writes)
          io.stdout(
            w.ok
              ? `${s.ok('✓')} anchored #${result.head.seq} ${result.head.hash} to ${w.destination}\n`
              : `${s.bad('✗')} could not anchor to ${w.destination}: ${w.error}\n`,
          );
      }),
    );
}
