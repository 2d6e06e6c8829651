import type { Command } from 'commander';
import { changeVersionState, destroySecretVersion } from '../../../secrets/index.js';
import type { CliIo } from '../../io.js';
import { printJson, SYMBOL } from '../../render.js';
import { globalsOf, styleOf } from '../shared.js';
import { parseVersion, renderNotes, withSecrets } from './session.js';

/** `secrets disable|enable|destroy <name> <version> --env <env>`. */
export function registerVersionState(secrets: Command, io: CliIo): void {
  for (const state of ['disable', 'enable'] as const) {
    secrets
      .command(state)
      .description(
        state === 'disable'
          ? 'disable a version (refused while pinned or running)'
          : 'enable a version; cancels a scheduled destruction',
      )
      .argument('<name>')
      .argument('<version>', 'version number', parseVersion)
      .requiredOption('--env <env>', 'environment')
      .action(async (name: string, version: number, options: { env: string }, command: Command) =>
        withSecrets(
          io,
          command,
          state === 'disable' ? { running: options.env } : {},
          async ({ ctx, notes }) => {
            const info = await changeVersionState(ctx, {
              name,
              environment: options.env,
              version,
              state: state === 'disable' ? 'disabled' : 'enabled',
            });
            if (globalsOf(command).json) return printJson(io, { ok: true, version: info, notes });
            const s = styleOf(command, io);
            io.stdout(`${s.ok(SYMBOL.pass)} ${name} v${version} (${options.env}) is ${info.state}\n`);
            renderNotes(io, s, notes);
          },
        ),
      );
  }

  secrets
    .command('destroy')
    .description('schedule destruction of a version after the grace period (secrets.destroyGracePeriod)')
    .argument('<name>')
    .argument('<version>', 'version number', parseVersion)
    .requiredOption('--env <env>', 'environment')
    .action(async (name: string, version: number, options: { env: string }, command: Command) =>
      withSecrets(io, command, { running: options.env }, async ({ ctx }) => {
        // The destroy plan itself says when running revisions could not be checked: its warnings are the notes.
        const result = await destroySecretVersion(ctx, { name, environment: options.env, version });
        if (globalsOf(command).json) return printJson(io, { ok: true, ...result, notes: result.warnings });
        const s = styleOf(command, io);
        io.stdout(
          `${s.ok(SYMBOL.pass)} ${name} v${version} (${options.env}) disabled; its value is erased after ${result.destroyAfter}. Cancel with: prodguard secrets enable ${name} ${version} --env ${options.env}\n`,
        );
        renderNotes(io, s, result.warnings);
      }),
    );
}
