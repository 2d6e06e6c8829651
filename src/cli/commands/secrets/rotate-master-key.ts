import type { Command } from 'commander';
import { withAuditAnchor } from '../../../audit/index.js';
import { parseMasterKey, rotateMasterKey } from '../../../secrets/index.js';
import type { CliIo } from '../../io.js';
import { printJson, SYMBOL } from '../../render.js';
import { globalsOf, styleOf } from '../shared.js';
import { withSecrets } from './session.js';

export function registerRotateMasterKey(secrets: Command, io: CliIo): void {
  secrets
    .command('rotate-master-key')
    .description('re-encrypt every secret under a new master key, in one transaction')
    .option(
      '--new-key-stdin',
      'read the new key (base64/hex, 32 bytes) from stdin; required when PRODGUARD_MASTER_KEY is used',
    )
    .action(async (options: { newKeyStdin?: boolean }, command: Command) =>
      withSecrets(io, command, {}, async ({ ws, ctx, key }) => {
        const newKey = options.newKeyStdin ? parseMasterKey(await io.readStdin(), 'stdin') : undefined;
        const result = rotateMasterKey({
          store: ctx.store,
          clock: ctx.clock,
          audit: ctx.audit,
          actor: ctx.actor,
          stateDir: ws.paths.state,
          current: key,
          ...(newKey ? { newKey } : {}),
        });
        if (globalsOf(command).json) return printJson(io, withAuditAnchor({ ok: true, ...result }, ws.audit));
        const s = styleOf(command, io);
        io.stdout(
          `${s.ok(SYMBOL.pass)} Re-encrypted ${result.reencrypted} values under key ${result.keyId} (was ${result.previousKeyId})\n`,
        );
        if (result.storage === 'env')
          io.stdout(s.warn('Now set PRODGUARD_MASTER_KEY to the new key everywhere prodguard runs.\n'));
        else io.stdout(`${s.ok(SYMBOL.pass)} New key written to ${result.file} (mode 0600)\n`);
      }),
    );
}
