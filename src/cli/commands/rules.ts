import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { GOLDEN_RULES, planRules, RULE_IDS } from '../../rules/index.js';
import type { CliIo } from '../io.js';
import { printJson, renderTable } from '../render.js';
import { globalsOf, styleOf } from './shared.js';

export function register(program: Command, io: CliIo): void {
  program
    .command('rules')
    .description('list the golden rules: id, severity, where they apply and why')
    .option('--env <name>', 'show only the rules that apply to this environment')
    .action((options: { env?: string }, command: Command) => {
      const globals = globalsOf(command);
      let config: ReturnType<typeof loadConfig> | undefined;
      try {
        config = loadConfig({
          cwd: io.cwd,
          knownRuleIds: RULE_IDS,
          ...(globals.config ? { file: globals.config } : {}),
        });
      } catch (error) {
        // Outside a configured repository the catalogue is still useful, with default scopes.
        if (options.env) throw error;
      }
      const rows = GOLDEN_RULES.map((rule) => {
        const setting = config?.rules[rule.id];
        const applies = config
          ? config.environmentOrder.filter((env) =>
              (['deploy', 'migrate', 'rotate', 'sql', 'run'] as const).some((action) =>
                planRules(config, action, env).some((p) => p.rule.id === rule.id && !p.skipReason),
              ),
            )
          : [rule.scope];
        return {
          id: rule.id,
          title: rule.title,
          severity: setting?.severity ?? rule.severity,
          environments: applies,
          actions: rule.actions,
          why: rule.why,
          fix: rule.fix,
        };
      }).filter((r) => !options.env || r.environments.includes(options.env));
      if (globals.json) return printJson(io, { rules: rows });
      const s = styleOf(command, io);
      io.stdout(
        `${renderTable(
          rows.map((r) => [
            r.id,
            r.severity === 'block' ? s.bad('block') : r.severity === 'warn' ? s.warn('warn') : s.dim('off'),
            r.environments.join(',') || '-',
            r.title,
          ]),
          ['RULE', 'SEVERITY', 'APPLIES TO', 'WHAT IT CHECKS'],
        )}\n`,
      );
      io.stdout(
        s.dim(
          '\nEach rule cites the seed section it enforces: prodguard rules --json. Override one with --override <rule> --reason "<why>" (audited).\n',
        ),
      );
    });
}
