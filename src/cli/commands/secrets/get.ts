import type { Command } from 'commander';
import { revealSecret } from '../../../secrets/index.js';
import type { CliIo } from '../../io.js';
import { printJson } from '../../render.js';
import { globalsOf } from '../shared.js';
import { parseVersion, withSecrets } from './session.js';

export function registerGet(secrets: Command, io: CliIo): void {
  secrets
    .command('get')
    .description('print a value (the pinned version by default); needs --reveal and is audited')
    .argument('<name>')
    .requiredOption('--env <env>', 'environment')
    .option('--version <n>', 'this version instead of the pinned one', parseVersion)
    .option('--reveal', 'really print the value')
    .option('--reason <text>', 'why you need it (audited)')
    .action(
      async (
        name: string,
        options: { env: string; version?: number; reveal?: boolean; reason?: string },
        command: Command,
      ) =>
        withSecrets(io, command, {}, async ({ ctx }) => {
          const result = await revealSecret(ctx, {
            name,
            environment: options.env,
            reveal: options.reveal === true,
            ...(options.version !== undefined ? { version: options.version } : {}),
            ...(options.reason ? { reason: options.reason } : {}),
          });
          if (globalsOf(command).json) return printJson(io, result);
          io.stdout(`${result.value}\n`);
        }),
    );
}
