import type { Command } from 'commander';
import { localTime } from '../../freeze/index.js';
import { PreflightRefusedError, runGuarded } from '../../guarded-run/index.js';
import { UsageError } from '../../kernel/errors.js';
import type { CliIo } from '../io.js';
import { printJson, SYMBOL } from '../render.js';
import { renderChecklist } from '../render-checklist.js';
import {
  addOverrideOptions,
  globalsOf,
  parseDurationOption,
  parseOverrides,
  styleOf,
  withWorkspace,
} from './shared.js';

interface RunFlags {
  note?: string;
  wait?: string;
  override?: string[];
  reason?: string;
}

export function register(program: Command, io: CliIo): void {
  addOverrideOptions(
    program
      .command('run')
      .description(
        'run your own deploy command behind the checklist and the environment lock, then tag the release',
      )
      .argument('<env>', 'environment the command deploys to')
      .argument('<command...>', 'the command, after --, e.g. -- gcloud run deploy api --source .')
      .option('--note <text>', 'what this deploy changes and why')
      .option('--wait <duration>', 'wait this long for the environment lock instead of failing at once'),
  ).action(async (env: string, commandWords: string[], flags: RunFlags, command: Command) =>
    withWorkspace(io, command, async (ws) => {
      if (commandWords.length === 0) {
        throw new UsageError('PRODGUARD_USAGE_RUN_COMMAND', 'prodguard run needs a command to run.', {
          hint: 'prodguard run production -- ./deploy.sh',
        });
      }
      const json = globalsOf(command).json;
      const s = styleOf(command, io);
      try {
        const waitMs = parseDurationOption('--wait', flags.wait);
        const result = await runGuarded(
          { ...ws, logsDir: ws.paths.logs, actor: () => ws.actor() },
          {
            environment: env,
            command: commandWords,
            ...(flags.note ? { note: flags.note } : {}),
            overrides: parseOverrides(command),
            ...(waitMs !== undefined ? { waitMs } : {}),
            signal: io.signal,
            // In --json mode the command's own output goes to stderr so stdout stays one JSON document.
            onOutput: (chunk) => (json ? io.stderr(chunk) : io.stdout(chunk)),
          },
        );
        if (json) return printJson(io, { ok: true, ...result });
        io.stdout(
          `${s.ok(SYMBOL.pass)} ${commandWords.join(' ')} succeeded on ${env} (${result.commit.slice(0, 12)})${result.tag ? `; rollback tag ${result.tag}` : ''}\n`,
        );
      } catch (error) {
        if (error instanceof PreflightRefusedError && !json) {
          io.stdout(
            renderChecklist(
              error.preflight,
              s,
              `Preflight for ${env} at ${localTime(new Date(error.preflight.at), ws.config.timezone).label}`,
            ),
          );
        }
        throw error;
      }
    }),
  );
}
