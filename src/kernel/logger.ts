import { redactText, redactValue } from './redact.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface LoggerOptions {
  level?: LogLevel;
  write: (line: string) => void;
  /** Exact secret values known to this process; masked wherever they appear. */
  knownSecrets?: () => readonly string[];
  json?: boolean;
}

/** A small structured logger whose every line is scrubbed of credentials before it is written. */
export function createLogger(options: LoggerOptions): Logger {
  const min = ORDER[options.level ?? 'info'];
  const emit = (level: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < min) return;
    const known = options.knownSecrets?.() ?? [];
    const safeMessage = redactText(message, known);
    const safeFields = fields ? redactValue(fields, known) : undefined;
    if (options.json) {
      options.write(`${JSON.stringify({ level, msg: safeMessage, ...safeFields })}\n`);
    } else {
      const extra = safeFields && Object.keys(safeFields).length > 0 ? ` ${JSON.stringify(safeFields)}` : '';
      options.write(`${level === 'info' ? '' : `${level}: `}${safeMessage}${extra}\n`);
    }
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}

export const silentLogger: Logger = Object.freeze({
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
});
