import { CommanderError } from 'commander';
import { ExitCode, isProdguardError } from '../kernel/errors.js';
import { redactText, redactValue } from '../kernel/redact.js';
import type { CliIo } from './io.js';

/** The single place errors become output and exit codes. Known errors: code, message, hint. Bugs: the stack. */
export function reportError(io: CliIo, error: unknown, json: boolean): number {
  if (error instanceof CommanderError) {
    // commander already printed its message
    return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  }
  if (isProdguardError(error)) {
    if (json) {
      io.stdout(
        `${JSON.stringify({ ok: false, error: { code: error.code, message: redactText(error.message), hint: error.hint, details: redactValue(error.details ?? {}) } }, null, 2)}\n`,
      );
    } else {
      io.stderr(`error ${error.code}: ${redactText(error.message)}\n`);
      if (error.hint) io.stderr(`  hint: ${redactText(error.hint)}\n`);
      const cause = error.cause instanceof Error ? error.cause.message : undefined;
      if (cause) io.stderr(`  cause: ${redactText(cause)}\n`);
    }
    return error.exitCode;
  }
  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
  const safe = redactText(stack).replaceAll(io.env.HOME ?? '\u0000', '~');
  if (json) {
    io.stdout(
      `${JSON.stringify({ ok: false, error: { code: 'PRODGUARD_INTERNAL', message: safe.split('\n')[0] } }, null, 2)}\n`,
    );
  }
  io.stderr(`${safe}\n\nThis is a prodguard bug, please report it with the output above.\n`);
  return ExitCode.internal;
}
