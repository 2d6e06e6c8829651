import type { Command } from 'commander';
import { openSecretsSession, type SecretsSession, type SecretsSessionOptions } from '../../../app/index.js';
import { UsageError } from '../../../kernel/errors.js';
import type { Workspace } from '../../../workspace/index.js';
import type { CliIo } from '../../io.js';
import type { Style } from '../../render.js';
import { withWorkspace } from '../shared.js';

export interface SessionView extends SecretsSession {
  ws: Workspace;
}

/** Opens the secrets session for one command and closes it whatever happens. */
export async function withSecrets<T>(
  io: CliIo,
  command: Command,
  options: SecretsSessionOptions,
  fn: (session: SessionView) => Promise<T>,
): Promise<T> {
  return withWorkspace(io, command, async (ws) => {
    const session = await openSecretsSession(ws, options);
    try {
      return await fn({ ...session, ws });
    } finally {
      await session.close();
    }
  });
}

/** Commander argument parser for `<version>`. */
export function parseVersion(text: string): number {
  const version = Number(text);
  if (!Number.isInteger(version) || version < 1) {
    throw new UsageError('PRODGUARD_USAGE_VERSION', `"${text}" is not a version number.`, {
      hint: 'Versions are numbered from 1; list them with `prodguard secrets versions <name> --env <env>`.',
    });
  }
  return version;
}

export function renderNotes(io: CliIo, s: Style, notes: readonly string[]): void {
  for (const note of notes) io.stdout(s.dim(`note: ${note}\n`));
}
