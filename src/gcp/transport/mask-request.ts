import { redactText } from '../../kernel/redact.js';
import type { GcpCallRecord, GcpRequest } from './gcp-transport.js';
import { encodeQuery } from './gcp-transport.js';

/** Known secrets plus their base64 forms (Secret Manager payloads travel base64-encoded). */
export function secretForms(secrets: readonly string[] | undefined): string[] {
  const out: string[] = [];
  for (const s of secrets ?? []) {
    if (s.length === 0) continue;
    out.push(s, Buffer.from(s, 'utf8').toString('base64'), encodeURIComponent(s));
  }
  return out;
}

/** A request as it may be printed: body keys that look secret and every known secret value masked. */
export function maskRequest(req: GcpRequest, baseUrl: string): GcpCallRecord {
  const known = secretForms(req.secrets);
  const url = redactText(`${baseUrl}${req.path}${encodeQuery(req.query)}`, known);
  const record: GcpCallRecord = {
    method: req.method,
    url,
    kind: req.method === 'GET' || req.read ? 'read' : 'write',
  };
  if (req.body !== undefined) record.body = maskBody(req.body, known);
  return record;
}

/**
 * Not the generic redactValue: its key heuristic would hide `secretKeyRef` (a secret's *name* and pinned
 * version, which a plan must show). Here only values are masked: known secrets, `password` fields and
 * Secret Manager payloads.
 */
export function maskBody(body: unknown, known: readonly string[], depth = 0): unknown {
  if (depth > 30) return '[too deep]';
  if (typeof body === 'string') return redactText(body, known);
  if (Array.isArray(body)) return body.map((v) => maskBody(v, known, depth + 1));
  if (body && typeof body === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
      if ((key === 'password' || (key === 'data' && depth === 1)) && typeof value === 'string')
        out[key] = '[redacted]';
      else out[key] = maskBody(value, known, depth + 1);
    }
    return out;
  }
  return body;
}
