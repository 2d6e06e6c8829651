import { redactText, redactValue } from './redact.js';

/** What the runtime needs from the application's logger; pino, winston and console-like objects fit. */
export interface RuntimeLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface JsonLineLogOptions {
  /** Where lines go; defaults to stderr. */
  write?: (line: string) => void;
  /** Exact secret values (e.g. the current database password) to mask wherever they appear. */
  knownSecrets?: () => readonly string[];
}

/**
 * A JSON-lines logger whose every line is scrubbed of credentials (URL passwords, `password=...`,
 * known secret values) before it is written. The runtime's default logger.
 */
export function jsonLineLog(options: JsonLineLogOptions = {}): RuntimeLog {
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const emit = (level: string, message: string, fields?: Record<string, unknown>) => {
    const known = options.knownSecrets?.() ?? [];
    const safe = fields ? redactValue(fields, known) : {};
    write(`${JSON.stringify({ level, msg: redactText(message, known), ...safe })}\n`);
  };
  return {
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}

/**
 * Wraps an application logger so that whatever the runtime hands it is already redacted, even when the
 * application's own logger does no masking.
 */
export function redactingLog(inner: RuntimeLog, knownSecrets: () => readonly string[]): RuntimeLog {
  const wrap =
    (fn: (message: string, fields?: Record<string, unknown>) => void) =>
    (message: string, fields?: Record<string, unknown>) => {
      const known = knownSecrets();
      fn(redactText(message, known), fields ? redactValue(fields, known) : undefined);
    };
  return {
    info: wrap(inner.info.bind(inner)),
    warn: wrap(inner.warn.bind(inner)),
    error: wrap(inner.error.bind(inner)),
  };
}
