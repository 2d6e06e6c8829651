import type { Command } from 'commander';
import { getSecretStatus } from '../../../secrets/index.js';
import type { CliIo } from '../../io.js';
import { printJson, renderTable } from '../../render.js';
import { globalsOf } from '../shared.js';
import { withSecrets } from './session.js';

export function registerList(secrets: Command, io: CliIo): void {
  secrets
    .command('list')
    .description('secrets per environment with their pinned and latest versions (reads only)')
    .option('--env <env>', 'only this environment')
    .action(async (options: { env?: string }, command: Command) =>
      withSecrets(io, command, {}, async ({ ctx }) => {
        const rows = await getSecretStatus(ctx, options.env ? { environment: options.env } : {});
        if (globalsOf(command).json) {
          return printJson(io, {
            secrets: rows.map((r) => ({
              name: r.name,
              environment: r.environment,
              kind: r.kind,
              pinnedVersion: r.pinnedVersion,
              latestVersion: r.latestVersion,
              enabledVersions: r.enabledVersions,
            })),
          });
        }
        if (rows.length === 0)
          return io.stdout('No secrets yet. Add one: prodguard secrets add NAME --env ENV < file\n');
        io.stdout(
          `${renderTable(
            rows.map((r) => [
              r.environment,
              r.name,
              r.kind,
              r.pinnedVersion ? `v${r.pinnedVersion}` : '-',
              r.latestVersion ? `v${r.latestVersion}` : '-',
              String(r.enabledVersions),
            ]),
            ['ENV', 'NAME', 'KIND', 'PINNED', 'LATEST', 'ENABLED'],
          )}\n`,
        );
      }),
    );
}
