import type { Command } from 'commander';
import {
  createSilence,
  expireSilence,
  formatMatcher,
  listSilences,
  MonitorStore,
  normalizeMonitorSettings,
  parseMatcher,
} from '../../monitor/index.js';
import type { CliIo } from '../io.js';
import { printJson, renderTable, SYMBOL } from '../render.js';
import { globalsOf, parseDurationOption, parseTimeOption, styleOf, withWorkspace } from './shared.js';

export function register(program: Command, io: CliIo): void {
  const silence = program
    .command('silence')
    .description('mute alerts by label matchers for a while (audited)');
  silence
    .command('add')
    .description(
      'add a silence: prodguard silence add env=production alertname=health-down --duration 1h --reason "…"',
    )
    .argument('<matchers...>', 'label matchers: name=value, name!=value, name=~regex, name!~regex')
    .option('--duration <duration>', 'how long (default monitor.silenceDefault)')
    .option('--until <time>', 'end at this ISO time instead')
    .requiredOption('--reason <text>', 'why these alerts may be ignored')
    .action(
      async (
        matchers: string[],
        flags: { duration?: string; until?: string; reason: string },
        command: Command,
      ) =>
        withWorkspace(io, command, async (ws) => {
          const durationMs = parseDurationOption('--duration', flags.duration);
          const until = parseTimeOption('--until', flags.until);
          const created = createSilence(
            { store: new MonitorStore(ws.store), clock: ws.clock, audit: ws.audit },
            {
              matchers: matchers.map(parseMatcher),
              reason: flags.reason,
              actor: await ws.actor(),
              defaultMs: normalizeMonitorSettings(ws.config).silenceDefaultMs,
              ...(durationMs !== undefined ? { durationMs } : {}),
              ...(until ? { endsAt: until } : {}),
            },
          );
          if (globalsOf(command).json) return printJson(io, { ok: true, silence: created });
          io.stdout(
            `${styleOf(command, io).ok(SYMBOL.pass)} Silence ${created.id} on ${created.matchers.map(formatMatcher).join(' ')} until ${new Date(created.endsAt).toISOString()}\n`,
          );
        }),
    );
  silence
    .command('list')
    .description('silences in force (--all: ended ones too)')
    .option('--all', 'include expired silences')
    .action(async (flags: { all?: boolean }, command: Command) =>
      withWorkspace(io, command, async (ws) => {
        const list = listSilences(
          { store: new MonitorStore(ws.store), clock: ws.clock },
          { all: flags.all ?? false },
        );
        if (globalsOf(command).json) return printJson(io, { silences: list });
        if (list.length === 0) return io.stdout('No silences in force.\n');
        io.stdout(
          `${renderTable(
            list.map((s) => [
              `  ${s.id}`,
              s.active ? 'active' : 'ended',
              s.matchers.map(formatMatcher).join(' '),
              new Date(s.endsAt).toISOString(),
              s.createdBy,
              s.reason,
            ]),
            ['  ID', 'STATE', 'MATCHERS', 'ENDS', 'BY', 'REASON'],
          )}\n`,
        );
      }),
    );
  silence
    .command('expire')
    .description('end a silence now')
    .argument('<id>', 'silence id from `silence list`')
    .option('--reason <text>', 'why it is no longer needed')
    .action(async (id: string, flags: { reason?: string }, command: Command) =>
      withWorkspace(io, command, async (ws) => {
        const expired = expireSilence(
          { store: new MonitorStore(ws.store), clock: ws.clock, audit: ws.audit },
          { id, actor: await ws.actor(), ...(flags.reason ? { reason: flags.reason } : {}) },
        );
        if (globalsOf(command).json) return printJson(io, { ok: true, silence: expired });
        io.stdout(`${styleOf(command, io).ok(SYMBOL.pass)} Silence ${expired.id} expired.\n`);
      }),
    );
}
