import type { Command } from 'commander';
import { withAuditAnchor } from '../../../audit/index.js';
import { setupRoles } from '../../../secrets/index.js';
import type { CliIo } from '../../io.js';
import { printJson, SYMBOL } from '../../render.js';
import { globalsOf, styleOf } from '../shared.js';
import { withSecrets } from './session.js';

export function registerSetupRoles(secrets: Command, io: CliIo): void {
  secrets
    .command('setup-roles')
    .description(
      'create the group role and its two login members for alternating rotation (admin secret needed)',
    )
    .argument('[name]', 'the database secret', 'DATABASE_URL')
    .requiredOption('--env <env>', 'environment')
    .action(async (name: string, options: { env: string }, command: Command) =>
      withSecrets(io, command, {}, async ({ ws, ctx, roles }) => {
        const env = options.env;
        const result = await setupRoles(
          ctx,
          { name, environment: env, readonlySecret: ws.config.database.readonlySecret },
          { postgres: roles(env) },
        );
        if (globalsOf(command).json) return printJson(io, withAuditAnchor({ ok: true, ...result }, ws.audit));
        const s = styleOf(command, io);
        io.stdout(
          `${s.ok(SYMBOL.pass)} Group role ${result.group} with login members ${result.members.join(', ')}${result.created.length ? ` (created: ${result.created.join(', ')})` : ' (all existed)'}\n`,
        );
        if (result.addedVersion !== undefined) {
          io.stdout(
            `${s.ok(SYMBOL.pass)} Added and pinned ${name} v${result.addedVersion} (${env}) logging in as ${result.members[0]}\n`,
          );
        }
        const ro = result.readonly;
        io.stdout(
          `${s.ok(SYMBOL.pass)} Read-only role ${ro.role} for \`prodguard sql\`${ro.created ? ' (created)' : ''}${ro.addedVersion !== undefined ? `; added and pinned ${ro.secret} v${ro.addedVersion} (${env})` : ''}\n`,
        );
        for (const warning of ro.warnings) io.stdout(`${s.warn(SYMBOL.warn)} ${warning}\n`);
      }),
    );
}
