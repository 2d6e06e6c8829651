import type { Command } from 'commander';
import { withAuditAnchor } from '../../../audit/index.js';
import { pinSecretVersion } from '../../../secrets/index.js';
import type { CliIo } from '../../io.js';
import { printJson, SYMBOL } from '../../render.js';
import { globalsOf, styleOf } from '../shared.js';
import { parseVersion, withSecrets } from './session.js';

export function registerPin(secrets: Command, io: CliIo): void {
  secrets
    .command('pin')
    .description('pin a version: new revisions of the environment start with exactly this version')
    .argument('<name>')
    .argument('<version>', 'version number', parseVersion)
    .requiredOption('--env <env>', 'environment')
    .option('--reason <text>', 'why (audited)')
    .action(
      async (name: string, version: number, options: { env: string; reason?: string }, command: Command) =>
        withSecrets(io, command, {}, async ({ ctx, ws }) => {
          const pin = await pinSecretVersion(ctx, {
            name,
            environment: options.env,
            version,
            ...(options.reason ? { reason: options.reason } : {}),
          });
          if (globalsOf(command).json) return printJson(io, withAuditAnchor({ ok: true, ...pin }, ws.audit));
          const s = styleOf(command, io);
          io.stdout(
            `${s.ok(SYMBOL.pass)} ${name} pinned to v${pin.version} in ${options.env}${pin.previousVersion ? ` (was v${pin.previousVersion})` : ''}; new revisions start with it.\n`,
          );
        }),
    );
}
