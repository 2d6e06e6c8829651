import type { ERROR_CODES } from '../../kernel/error-codes.js';
import { ProdguardError, type ProdguardErrorOptions } from '../../kernel/errors.js';

/** The platform's codes, listed in ERROR_CODES.platform. */
export type PlatformErrorCode = (typeof ERROR_CODES.platform)[number];

export function platformError(
  code: PlatformErrorCode,
  message: string,
  options: ProdguardErrorOptions = {},
): ProdguardError {
  return new ProdguardError(code, message, options);
}

export function serviceNotFound(service: string, known: readonly string[]): ProdguardError {
  return platformError(
    'PRODGUARD_PLATFORM_SERVICE_NOT_FOUND',
    `No environment "${service}" on this platform.`,
    {
      kind: 'usage',
      hint: `Known environments: ${known.join(', ') || '(none)'}. Environments come from prodguard.yaml; restart the agent after adding one.`,
    },
  );
}

export function revisionNotFound(service: string, revision: string): ProdguardError {
  return platformError(
    'PRODGUARD_PLATFORM_REVISION_NOT_FOUND',
    `No revision "${revision}" in environment ${service}.`,
    { kind: 'usage', hint: `List them with \`prodguard status ${service}\`.` },
  );
}
