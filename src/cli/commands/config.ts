import type { Command } from 'commander';
import { configJsonSchema, loadConfig } from '../../config/index.js';
import { formatDuration } from '../../kernel/duration.js';
import { RULE_IDS } from '../../rules/index.js';
import type { CliIo } from '../io.js';
import { printJson } from '../render.js';
import { globalsOf, styleOf } from './shared.js';

export function register(program: Command, io: CliIo): void {
  const config = program.command('config').description('check prodguard.yaml or print its JSON Schema');
  config
    .command('check')
    .description('validate prodguard.yaml and report every problem with its line')
    .action((_options: unknown, command: Command) => {
      const globals = globalsOf(command);
      const loaded = loadConfig({
        cwd: io.cwd,
        knownRuleIds: RULE_IDS,
        ...(globals.config ? { file: globals.config } : {}),
      });
      if (globals.json)
        return printJson(io, { ok: true, file: loaded.file, environments: loaded.environmentOrder });
      const s = styleOf(command, io);
      const chain = loaded.environmentOrder
        .map((name) =>
          loaded.environments[name]?.requires
            ? `${name} (after ${loaded.environments[name]?.requires})`
            : name,
        )
        .join(', ');
      io.stdout(`${s.ok('✓')} ${loaded.file} is valid\n`);
      io.stdout(`  environments: ${chain}\n`);
      io.stdout(
        `  freeze: ${loaded.freeze.weekdays.join(', ') || 'no weekdays'} in ${loaded.timezone}; ${loaded.freeze.windows.length} window(s)\n`,
      );
      io.stdout(
        `  thresholds: error rate ${(loaded.thresholds.errorRate * 100).toFixed(1)}%, p95 ${formatDuration(loaded.thresholds.latencyP95)}; watch ${formatDuration(loaded.watch)}\n`,
      );
    });
  config
    .command('schema')
    .description('print the JSON Schema of prodguard.yaml (for editor completion)')
    .action(() => {
      io.stdout(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
    });
}
