import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import { formatPath } from '../../../config/index.js';
import type { ErrorKind, ProdguardError } from '../../../kernel/errors.js';
import { type PlatformErrorCode, platformError } from '../platform-errors.js';

/** What every error answer of the agent API carries; LocalPlatform turns it back into the same ProdguardError. */
export interface AgentErrorBody {
  code: string;
  message: string;
  hint?: string;
  kind: ErrorKind;
  details?: Record<string, unknown>;
}

export interface RequestIssue {
  /** `targets[1].percent`, `timeoutMs`, `:service`, or `body` for the body as a whole. */
  path: string;
  message: string;
}

const STATUS_BY_CODE: Partial<Record<PlatformErrorCode, ContentfulStatusCode>> = {
  PRODGUARD_PLATFORM_UNAUTHORIZED: 401,
  PRODGUARD_PLATFORM_BAD_REQUEST: 400,
  PRODGUARD_PLATFORM_ROUTE_NOT_FOUND: 404,
  PRODGUARD_PLATFORM_METHOD_NOT_ALLOWED: 405,
  PRODGUARD_PLATFORM_BODY_TOO_LARGE: 413,
};

const STATUS_BY_KIND: Record<ErrorKind, ContentfulStatusCode> = {
  usage: 400,
  refused: 409,
  failed: 500,
  internal: 500,
};

/** The one mapping from a ProdguardError to an HTTP status: the code's own status, `*_NOT_FOUND` → 404, else by kind. */
export function statusForError(error: ProdguardError): ContentfulStatusCode {
  const byCode = STATUS_BY_CODE[error.code as PlatformErrorCode];
  if (byCode) return byCode;
  if (error.code.endsWith('_NOT_FOUND')) return 404;
  return STATUS_BY_KIND[error.kind];
}

export function errorBody(error: ProdguardError): AgentErrorBody {
  return {
    code: error.code,
    message: error.message,
    ...(error.hint ? { hint: error.hint } : {}),
    kind: error.kind,
    ...(error.details ? { details: error.details } : {}),
  };
}

/** 400 naming every field that is wrong, e.g. `targets[1].percent: Expected number, received string`. */
export function invalidRequest(what: string, issues: readonly RequestIssue[]): ProdguardError {
  return platformError(
    'PRODGUARD_PLATFORM_BAD_REQUEST',
    `Invalid ${what}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}.`,
    {
      kind: 'usage',
      hint: 'Send the shapes of src/platform/platform.ts (LocalPlatform does); docs/platform.md lists the routes.',
      details: { issues },
    },
  );
}

/** zod issues → request issues, with `body`/`query` standing for the whole value. */
export function requestIssues(error: z.ZodError, whole: string): RequestIssue[] {
  return error.issues.map((issue) => {
    const segments = issue.path.filter((s): s is string | number => typeof s !== 'symbol');
    const path = segments.length === 0 ? whole : formatPath(segments);
    if (issue.code === 'unrecognized_keys')
      return { path, message: `Unknown field${issue.keys.length === 1 ? '' : 's'} ${issue.keys.join(', ')}` };
    const message = issue.message.replace(/^Invalid input: e/, 'E');
    return { path, message };
  });
}
