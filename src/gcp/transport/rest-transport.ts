import type { Clock } from '../../kernel/clock.js';
import { redactText } from '../../kernel/redact.js';
import { type GcpApi, GcpApiError } from './gcp-api-error.js';
import {
  encodeQuery,
  type GcpCallRecord,
  type GcpRequest,
  type GcpTransport,
  googleEndpoint,
} from './gcp-transport.js';
import { maskRequest, secretForms } from './mask-request.js';

/** Returns an OAuth2 access token for the cloud-platform scope. */
export type GcpTokenSource = () => Promise<string>;

export interface RetryPolicy {
  /** Total attempts including the first. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = Object.freeze({
  attempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 20_000,
});

export interface RestTransportOptions {
  token: GcpTokenSource;
  clock: Pick<Clock, 'sleep'>;
  /** Per-API base URL; tests point every API at the loopback fake. Defaults to https://<api>.googleapis.com. */
  baseUrl?: (api: GcpApi) => string;
  /** Timeout of one attempt. */
  timeoutMs?: number;
  retry?: RetryPolicy;
  /** Uniform [0,1) for jitter; injected so tests are deterministic. */
  random?: () => number;
  fetch?: typeof fetch;
  /** Every call, masked, after it finished (for --verbose logs). */
  onCall?: (call: GcpCallRecord & { status: number; attempt: number; durationMs: number }) => void;
}

/**
 * 429 and 503 are retried for every method: Google documents both as "not processed, retry with
 * backoff". 500/502/504 and network errors are retried only for GET, because a write may have been
 * applied before the failure (retrying a POST addVersion could add two versions).
 */
function isRetryable(method: string, status: number, read = false): boolean {
  if (status === 429 || status === 503) return true;
  if (method !== 'GET' && !read) return false;
  return status === 0 || status === 408 || status === 500 || status === 502 || status === 504;
}

/** Full jitter: a uniform delay in [0, min(max, base·2^attempt)). */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.floor(random() * cap);
}

interface GoogleErrorBody {
  error?: {
    code?: number;
    message?: string;
    status?: string;
    errors?: { message?: string; reason?: string }[];
  };
}

/** Plain REST with fetch: JSON in, JSON out, typed errors, retries, a timeout on every attempt. */
export function createRestTransport(options: RestTransportOptions): GcpTransport {
  const retry = options.retry ?? DEFAULT_RETRY;
  const random = options.random ?? Math.random;
  const doFetch = options.fetch ?? fetch;
  const base = options.baseUrl ?? googleEndpoint;
  const timeoutMs = options.timeoutMs ?? 30_000;

  async function attemptOnce(
    req: GcpRequest,
    url: string,
  ): Promise<{ status: number; json: unknown; text: string; networkError?: string }> {
    const controller = new AbortController();
    const limit = req.timeoutMs ?? timeoutMs;
    const timer = setTimeout(() => controller.abort(), limit);
    try {
      const token = await options.token();
      const headers: Record<string, string> = {
        authorization: `Bearer ${token}`,
        accept: 'application/json',
      };
      if (req.body !== undefined) headers['content-type'] = 'application/json';
      const res = await doFetch(url, {
        method: req.method,
        headers,
        body: req.body === undefined ? undefined : JSON.stringify(req.body),
        signal: controller.signal,
      });
      const text = await res.text();
      let json: unknown = {};
      if (text.length > 0) {
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
      }
      return { status: res.status, json, text };
    } catch (error) {
      const message = controller.signal.aborted
        ? `no answer within ${limit} ms`
        : error instanceof Error
          ? `${error.message}${error.cause instanceof Error ? `: ${error.cause.message}` : ''}`
          : String(error);
      return { status: 0, json: undefined, text: '', networkError: message };
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    mode: 'live',
    async request<T>(req: GcpRequest): Promise<T> {
      const baseUrl = base(req.api);
      const url = `${baseUrl}${req.path}${encodeQuery(req.query)}`;
      const known = secretForms(req.secrets);
      let last: { status: number; json: unknown; text: string; networkError?: string } | undefined;
      let attempt = 0;
      for (; attempt < retry.attempts; attempt++) {
        if (attempt > 0) await options.clock.sleep(backoffDelay(retry, attempt - 1, random));
        const started = performance.now();
        last = await attemptOnce(req, url);
        options.onCall?.({
          ...maskRequest(req, baseUrl),
          status: last.status,
          attempt: attempt + 1,
          durationMs: Math.round(performance.now() - started),
        });
        if (last.status >= 200 && last.status < 300) {
          if (last.json === undefined)
            throw apiError(req, 200, 'INVALID_RESPONSE', 'the answer is not JSON', attempt + 1, known);
          return last.json as T;
        }
        if (!isRetryable(req.method, last.status, req.read)) break;
      }
      const body = (last?.json ?? {}) as GoogleErrorBody;
      const status = last?.status ?? 0;
      const googleStatus = body.error?.status ?? (status === 0 ? 'UNAVAILABLE' : httpStatusName(status));
      const message =
        last?.networkError ??
        body.error?.message ??
        body.error?.errors?.[0]?.message ??
        (last?.text.slice(0, 200) || 'no message');
      throw apiError(req, status, googleStatus, message, Math.min(attempt + 1, retry.attempts), known);
    },
  };
}

function apiError(
  req: GcpRequest,
  httpStatus: number,
  googleStatus: string,
  message: string,
  attempts: number,
  known: readonly string[],
): GcpApiError {
  return new GcpApiError({
    api: req.api,
    method: req.method,
    path: redactText(req.path, known),
    httpStatus,
    googleStatus,
    message: redactText(message, known),
    attempts,
  });
}

function httpStatusName(status: number): string {
  const names: Record<number, string> = {
    400: 'INVALID_ARGUMENT',
    401: 'UNAUTHENTICATED',
    403: 'PERMISSION_DENIED',
    404: 'NOT_FOUND',
    409: 'ABORTED',
    429: 'RESOURCE_EXHAUSTED',
    500: 'INTERNAL',
    503: 'UNAVAILABLE',
    504: 'DEADLINE_EXCEEDED',
  };
  return names[status] ?? 'UNKNOWN';
}
