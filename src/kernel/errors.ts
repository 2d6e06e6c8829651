import type { ErrorCode } from './error-codes.js';

/**
 * Exit codes are part of the public contract (README "Exit codes").
 * 0 ok · 1 refused by a rule · 2 bad usage or config · 3 operation failed (and was rolled back) · 4 internal error.
 */
export const ExitCode = Object.freeze({
  ok: 0,
  refused: 1,
  usage: 2,
  failed: 3,
  internal: 4,
} as const);
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export type { ErrorCode } from './error-codes.js';

export type ErrorKind = 'refused' | 'usage' | 'failed' | 'internal';

export interface ProdguardErrorOptions {
  hint?: string;
  cause?: unknown;
  kind?: ErrorKind;
  /** Structured facts for --json output; must never hold a secret value. */
  details?: Record<string, unknown>;
}

/** An expected failure: printed as code + message + hint, without a stack. */
export class ProdguardError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly kind: ErrorKind;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: ProdguardErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProdguardError';
    this.code = code;
    this.hint = options.hint;
    this.kind = options.kind ?? 'failed';
    this.details = options.details;
  }

  get exitCode(): ExitCodeValue {
    return ExitCode[this.kind];
  }
}

export class UsageError extends ProdguardError {
  constructor(code: ErrorCode, message: string, options: Omit<ProdguardErrorOptions, 'kind'> = {}) {
    super(code, message, { ...options, kind: 'usage' });
  }
}

export function isProdguardError(value: unknown): value is ProdguardError {
  return value instanceof ProdguardError;
}
