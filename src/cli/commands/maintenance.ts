import type { Command } from 'commander';
import { DeployEvents, openPipeline, runMaintenance } from '../../deploy/index.js';
import { UsageError } from '../../kernel/errors.js';
import { redactValue } from '../../kernel/redact.js';
import type { CliIo } from '../io.js';
import { SYMBOL } from '../render.js';
import { renderDeployEvents } from './deploy.js';
import { globalsOf, parseTimeOption, styleOf, withWorkspace } from './shared.js';

export function register(program: Command, io: CliIo): void {
  program
    .command('maintenance')
    .description('on: serve a 503 maintenance page (traffic kept); off: restore exactly the previous traffic')
    .argument('<on|off>', 'on or off')
    .argument('<env>', 'environment')
    .option('--message <text>', 'shown on the maintenance page')
    .option('--until <time>', 'expected end, ISO 8601 (drives Retry-After)')
    .action(async (mode: string, env: string, flags: { message?: string; until?: string }, cmd: Command) =>
      withWorkspace(io, cmd, async (ws) => {
        if (mode !== 'on' && mode !== 'off') {
          throw new UsageError('PRODGUARD_USAGE_MAINTENANCE', `"${mode}" is neither on nor off.`, {
            hint: 'prodguard maintenance on production --message "Database upgrade" --until 2026-12-04T15:00:00Z',
          });
        }
        const until = parseTimeOption('--until', flags.until);
        const json = Boolean(globalsOf(cmd).json);
        const s = styleOf(cmd, io);
        const events = new DeployEvents();
        renderDeployEvents(io, events, s, json);
        const pipeline = await openPipeline(ws, { events });
        try {
          const result = await runMaintenance(
            pipeline.config,
            {
              environment: env,
              on: mode === 'on',
              ...(flags.message ? { message: flags.message } : {}),
              ...(until ? { until: until.toISOString() } : {}),
            },
            pipeline.deps,
          );
          if (json) return io.stdout(`${JSON.stringify(redactValue({ event: 'result', ...result }))}\n`);
          io.stdout(`${s.ok(SYMBOL.pass)} ${result.message}\n`);
        } finally {
          await pipeline.close();
        }
      }),
    );
}
