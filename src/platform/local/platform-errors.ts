import { ProdguardError, type ProdguardErrorOptions } from '../../kernel/errors.js';

/** Error codes of the local platform. */
export const PLATFORM_ERROR_CODES = [
  'PRODGUARD_PLATFORM_SERVICE_NOT_FOUND',
  'PRODGUARD_PLATFORM_REVISION_NOT_FOUND',
  'PRODGUARD_PLATFORM_NOT_READY',
  'PRODGUARD_PLATFORM_TRAFFIC_INVALID',
  'PRODGUARD_PLATFORM_REVISION_SERVING',
  'PRODGUARD_PLATFORM_DIGEST_MISMATCH',
  'PRODGUARD_PLATFORM_BUILD_FAILED',
  'PRODGUARD_PLATFORM_COMMIT_UNKNOWN',
  'PRODGUARD_PLATFORM_ENV_TEMPLATE',
  'PRODGUARD_PLATFORM_AGENT_DOWN',
  'PRODGUARD_PLATFORM_AGENT_RUNNING',
  'PRODGUARD_PLATFORM_AGENT_FOREIGN',
  'PRODGUARD_PLATFORM_UNAUTHORIZED',
  'PRODGUARD_PLATFORM_PORT_IN_USE',
  'PRODGUARD_PLATFORM_BAD_REQUEST',
  'PRODGUARD_PLATFORM_ROUTE_NOT_FOUND',
  'PRODGUARD_PLATFORM_METHOD_NOT_ALLOWED',
  'PRODGUARD_PLATFORM_BODY_TOO_LARGE',
  'PRODGUARD_PLATFORM_SECRETS_UNAVAILABLE',
] as const;
export type PlatformErrorCode = (typeof PLATFORM_ERROR_CODES)[number];

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
