import type { AuditHead } from './audit-event.js';

/** Where an anchor was read from, and whether it lives outside the state store. */
export interface AuditAnchor extends AuditHead {
  /** Human-readable origin: `git tag v20260301-1000`, `file /var/anchors.jsonl:3`, `url …`, `state store`. */
  source: string;
  /** False for anchors kept in the state store itself: a rewrite of the database rewrites them too. */
  external: boolean;
  at?: string;
}

const ANCHOR_LINE = /^audit-head: (\d+) ([0-9a-f]{64})\s*$/gm;

/**
 * The line a rollback tag's annotation carries so the tag anchors the audit chain.
 *
 * @example formatAuditAnchor({ seq: 12, hash: 'ab…' }) // → 'audit-head: 12 ab…'
 */
export function formatAuditAnchor(head: AuditHead): string {
  return `audit-head: ${head.seq} ${head.hash}`;
}

/** Every `audit-head: <seq> <hash>` line in a text (a tag annotation, a CI log). */
export function parseAuditAnchorLines(text: string): AuditHead[] {
  return [...text.matchAll(ANCHOR_LINE)].map((m) => ({ seq: Number(m[1]), hash: m[2]! }));
}

/**
 * Adds the audit head to a command's `--json` result, so every CI log that keeps the output is an anchor.
 *
 * @example withAuditAnchor({ ok: true }, ws.audit) // → { ok: true, audit: { seq: 7, hash: '…' } }
 */
export function withAuditAnchor<T extends object>(
  result: T,
  source: { head(): AuditHead | undefined } | AuditHead | undefined,
): T & { audit?: AuditHead } {
  const head = source && 'head' in source ? source.head() : source;
  return head ? { ...result, audit: { seq: head.seq, hash: head.hash } } : result;
}
