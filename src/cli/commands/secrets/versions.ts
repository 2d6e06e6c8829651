import type { Command } from 'commander';
import { readSecretVersions } from '../../../secrets/index.js';
import type { CliIo } from '../../io.js';
import { printJson, renderTable } from '../../render.js';
import { globalsOf, styleOf } from '../shared.js';
import { withSecrets } from './session.js';

function stamp(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function registerVersions(secrets: Command, io: CliIo): void {
  secrets
    .command('versions')
    .description('every version of a secret: state, age, who added it, which is pinned (reads only)')
    .argument('<name>')
    .requiredOption('--env <env>', 'environment')
    .action(async (name: string, options: { env: string }, command: Command) =>
      withSecrets(io, command, {}, async ({ ctx }) => {
        const result = await readSecretVersions(ctx, { name, environment: options.env });
        if (globalsOf(command).json) return printJson(io, result);
        const s = styleOf(command, io);
        io.stdout(
          `${renderTable(
            result.versions.map((v) => [
              `${v.version === result.pinnedVersion ? '*' : ' '}v${v.version}`,
              v.state === 'enabled'
                ? s.ok(v.state)
                : v.state === 'disabled'
                  ? s.warn(v.state)
                  : s.dim(v.state),
              stamp(v.createdAt),
              v.createdBy,
              typeof v.metadata.role === 'string' ? v.metadata.role : '-',
              v.destroyAfter
                ? v.state === 'destroyed'
                  ? `destroyed at ${stamp(v.stateChangedAt)}`
                  : `destruction scheduled for ${stamp(v.destroyAfter)}`
                : typeof v.metadata.rotation === 'string'
                  ? v.metadata.rotation
                  : '',
            ]),
            ['VERSION', 'STATE', 'CREATED', 'BY', 'ROLE', 'NOTE'],
          )}\n`,
        );
        io.stdout(s.dim(`* pinned in ${options.env}\n`));
      }),
    );
}
