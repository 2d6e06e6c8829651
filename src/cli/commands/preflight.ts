import type { Command } from 'commander';
import { localTime } from '../../freeze/index.js';
import { ExitCode } from '../../kernel/errors.js';
import { runPreflight } from '../../preflight/index.js';
import type { CliIo } from '../io.js';
import { printJson } from '../render.js';
import { renderChecklist } from '../render-checklist.js';
import {
  addOverrideOptions,
  globalsOf,
  parseOverrides,
  parseTimeOption,
  styleOf,
  withWorkspace,
} from './shared.js';

interface PreflightFlags {
  at?: string;
  note?: string;
  override?: string[];
  reason?: string;
}

export function register(program: Command, io: CliIo): void {
  addOverrideOptions(
    program
      .command('preflight')
      .description("the seed's pre-deployment checklist for <env>: each check pass / fail / warn / skipped")
      .argument('<env>', 'environment to check, e.g. production')
      .option(
        '--at <time>',
        'answer "could I deploy at that time?" (ISO 8601, e.g. 2026-12-04T15:00:00-06:00)',
      )
      .option('--note <text>', 'what this deploy changes and why (satisfies change-documented)'),
  ).action(async (env: string, flags: PreflightFlags, command: Command) =>
    withWorkspace(io, command, async (ws) => {
      const at = parseTimeOption('--at', flags.at);
      const result = await runPreflight(
        { ...ws, logsDir: ws.paths.logs, actor: () => ws.actor() },
        {
          environment: env,
          ...(at ? { at } : {}),
          ...(flags.note ? { note: flags.note } : {}),
          overrides: parseOverrides(command),
        },
      );
      io.setExitCode(result.ok ? ExitCode.ok : ExitCode.refused);
      if (globalsOf(command).json) return printJson(io, result);
      const when = localTime(new Date(result.at), ws.config.timezone).label;
      io.stdout(renderChecklist(result, styleOf(command, io), `Preflight for ${env} at ${when}`));
    }),
  );
}
