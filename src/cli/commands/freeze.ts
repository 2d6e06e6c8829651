import type { Command } from 'commander';
import { withAuditAnchor } from '../../audit/index.js';
import { freezeOff, freezeOn, readFreezeStatus } from '../../freeze/index.js';
import { parseDuration } from '../../kernel/duration.js';
import { planRules } from '../../rules/index.js';
import type { CliIo } from '../io.js';
import { printJson, renderTable, SYMBOL } from '../render.js';
import { globalsOf, parseTimeOption, styleOf, withWorkspace } from './shared.js';

/** `--until 4h` (from now) or `--until 2026-12-01T09:00:00Z`. */
function parseUntil(value: string | undefined, nowMs: number): Date | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  return ms !== undefined ? new Date(nowMs + ms) : parseTimeOption('--until', value);
}

export function register(program: Command, io: CliIo): void {
  const freeze = program.command('freeze').description('freeze or unfreeze deploys (audited)');
  freeze
    .command('on')
    .description('stop deploys to one environment (--env) or all, until lifted or --until')
    .option('--env <name>', 'only this environment (default: all)')
    .option('--until <time|duration>', 'ends by itself at this ISO time or after this duration (e.g. 4h)')
    .requiredOption('--reason <text>', 'why deploys are frozen (shown in every refusal)')
    .action(async (flags: { env?: string; until?: string; reason: string }, command: Command) =>
      withWorkspace(io, command, async (ws) => {
        const until = parseUntil(flags.until, ws.clock.nowMs());
        const result = await freezeOn(
          { ...ws, actor: () => ws.actor() },
          {
            reason: flags.reason,
            ...(flags.env ? { environment: flags.env } : {}),
            ...(until ? { until } : {}),
          },
        );
        if (globalsOf(command).json)
          return printJson(io, withAuditAnchor({ ok: true, freeze: result }, ws.audit));
        const s = styleOf(command, io);
        io.stdout(
          `${s.ok(SYMBOL.pass)} Deploys to ${result.environment ?? 'all environments'} frozen${result.until ? ` until ${result.until}` : ''}: ${result.reason}\n`,
        );
      }),
    );
  freeze
    .command('off')
    .description('lift the manual freeze on one environment (--env) or on all')
    .option('--env <name>', 'the environment whose freeze to lift (default: the all-environment freeze)')
    .option('--reason <text>', 'why it is safe again')
    .action(async (flags: { env?: string; reason?: string }, command: Command) =>
      withWorkspace(io, command, async (ws) => {
        const lifted = await freezeOff(
          { ...ws, actor: () => ws.actor() },
          {
            ...(flags.env ? { environment: flags.env } : {}),
            ...(flags.reason ? { reason: flags.reason } : {}),
          },
        );
        if (globalsOf(command).json) return printJson(io, withAuditAnchor({ ok: true, lifted }, ws.audit));
        io.stdout(
          `${styleOf(command, io).ok(SYMBOL.pass)} Lifted ${lifted.length} freeze(s) on ${flags.env ?? 'all environments'}.\n`,
        );
      }),
    );
  freeze
    .command('status')
    .description('would a deploy be frozen now (or --at a time), and by what')
    .option('--env <name>', 'only this environment')
    .option('--at <time>', 'ask about another moment (ISO 8601)')
    .action(async (flags: { env?: string; at?: string }, command: Command) =>
      withWorkspace(io, command, async (ws) => {
        const at = parseTimeOption('--at', flags.at);
        const status = readFreezeStatus(ws, {
          ...(at ? { at } : {}),
          ...(flags.env ? { environment: flags.env } : {}),
          weekdayApplies: (env) =>
            planRules(ws.config, 'deploy', env).some(
              (p) => p.rule.id === 'no-friday-deploys' && !p.skipReason,
            ),
        });
        if (globalsOf(command).json) return printJson(io, status);
        const s = styleOf(command, io);
        io.stdout(`${s.bold(`Freeze status at ${status.local}`)}\n`);
        io.stdout(
          `${renderTable(
            status.environments.map((e) => [
              `  ${e.frozen ? s.bad(SYMBOL.fail) : s.ok(SYMBOL.pass)} ${e.environment}`,
              e.frozen ? e.findings.map((f) => f.reason).join('; ') : 'open for deploys',
            ]),
          )}\n`,
        );
      }),
    );
}
