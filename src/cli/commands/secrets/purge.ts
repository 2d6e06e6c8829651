import type { Command } from 'commander';
import { withAuditAnchor } from '../../../audit/index.js';
import { purgeDueVersions } from '../../../secrets/index.js';
import type { CliIo } from '../../io.js';
import { printJson, SYMBOL } from '../../render.js';
import { globalsOf, styleOf } from '../shared.js';
import { withSecrets } from './session.js';

export function registerPurge(secrets: Command, io: CliIo): void {
  secrets
    .command('purge')
    .description(
      'erase the values of versions whose destruction grace period has ended (audited; every mutating secrets command also does it)',
    )
    .action(async (_options: unknown, command: Command) =>
      withSecrets(io, command, {}, async ({ ctx, ws }) => {
        const destroyed = await purgeDueVersions(ctx);
        const out = destroyed.map((v) => ({ name: v.name, environment: v.environment, version: v.version }));
        if (globalsOf(command).json)
          return printJson(io, withAuditAnchor({ ok: true, destroyed: out }, ws.audit));
        const s = styleOf(command, io);
        if (out.length === 0) return io.stdout('No version is past its destruction time.\n');
        for (const v of out)
          io.stdout(`${s.ok(SYMBOL.pass)} Destroyed ${v.name} v${v.version} (${v.environment})\n`);
      }),
    );
}
