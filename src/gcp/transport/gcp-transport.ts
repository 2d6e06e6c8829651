import type { GcpApi } from './gcp-api-error.js';

export type GcpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export type GcpQueryValue = string | number | boolean | readonly string[] | undefined;

/** One REST call to a Google API, described as data so it can be sent, recorded or printed. */
export interface GcpRequest {
  api: GcpApi;
  method: GcpMethod;
  /** Path with version, e.g. `/v2/projects/p/locations/r/services/s`. */
  path: string;
  query?: Readonly<Record<string, GcpQueryValue>>;
  body?: unknown;
  /** Exact secret values (and their encodings) this call carries; masked in plans, logs and errors. */
  secrets?: readonly string[];
  /** A POST that only reads (getIamPolicy, entries:list): plan mode sends it like a GET. */
  read?: boolean;
  /** Overrides the transport's per-call timeout. */
  timeoutMs?: number;
}

/** A call as it appears in a plan or a debug log: secrets already masked. */
export interface GcpCallRecord {
  method: GcpMethod;
  url: string;
  body?: unknown;
  /** `read` calls are made even in plan mode (they change nothing); `write` calls are only recorded. */
  kind: 'read' | 'write';
  /** Plan mode with validateOnly: what Google said of the write. */
  validation?: string;
}

/**
 * The one door to Google: live transports send, plan transports record writes and send nothing
 * that changes state. Adapters only ever see this interface.
 */
export interface GcpTransport {
  readonly mode: 'live' | 'plan';
  request<T>(req: GcpRequest): Promise<T>;
}

export function isMutating(method: GcpMethod): boolean {
  return method !== 'GET';
}

export function encodeQuery(query: Readonly<Record<string, GcpQueryValue>> | undefined): string {
  if (!query) return '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [String(value)];
    // Commas stay readable (updateMask=template,traffic); Google accepts them unescaped.
    for (const v of values)
      parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(v).replace(/%2C/g, ',')}`);
  }
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

/** The production endpoint of each API. */
export function googleEndpoint(api: GcpApi): string {
  return `https://${api}.googleapis.com`;
}
