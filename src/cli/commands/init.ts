import type { Command } from 'commander';
import { nodeProcessRunner } from '../../kernel/process-runner.js';
import { initProject } from '../../workspace/index.js';
import type { CliIo } from '../io.js';
import { printJson } from '../render.js';
import { globalsOf, styleOf } from './shared.js';

export function register(program: Command, io: CliIo): void {
  program
    .command('init')
    .description('write prodguard.yaml with the golden-rule defaults and git-ignore .prodguard/')
    .option('--force', 'replace an existing prodguard.yaml')
    .option('--timezone <zone>', "IANA time zone for freeze rules (default: this machine's)")
    .option('--name <name>', 'service name (default: package.json name or folder name)')
    .action(async (options: { force?: boolean; timezone?: string; name?: string }, command: Command) => {
      const result = await initProject({
        cwd: io.cwd,
        processes: nodeProcessRunner,
        env: io.env,
        ...(options.force ? { force: true } : {}),
        ...(options.timezone ? { timezone: options.timezone } : {}),
        ...(options.name ? { projectName: options.name } : {}),
      });
      if (globalsOf(command).json) return printJson(io, { ok: true, ...result });
      const s = styleOf(command, io);
      io.stdout(
        `${s.ok('✓')} ${result.overwritten ? 'Replaced' : 'Wrote'} ${result.configFile} (project ${result.projectName}, timezone ${result.timezone})\n`,
      );
      if (result.gitignoreUpdated) io.stdout(`${s.ok('✓')} Added .prodguard/ to .gitignore\n`);
      if (result.masterKeyFile) {
        io.stdout(
          `${s.ok('✓')} Created the vault key ${result.masterKeyFile} (0600): back it up; without it the secrets are unreadable\n`,
        );
      }
      io.stdout('Next: edit the health URLs and coverage globs, then run `prodguard preflight staging`.\n');
    });
}
