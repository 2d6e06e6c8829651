import type { StateStore } from '../store/index.js';
import type { AuditAnchor } from './audit-anchor.js';
import type { AuditHead } from './audit-event.js';

export type RecordedAnchorKind = 'file' | 'url' | 'git-tag' | 'release-mark';

export interface RecordedAnchor extends AuditHead {
  at: string;
  kind: RecordedAnchorKind;
  /** The file path, URL, tag name, or `<environment>@<commit>` of a release mark. */
  destination: string;
}

/**
 * Remembers that the head was anchored somewhere (so `audit verify` knows where to look later).
 * The deploy pipeline calls it after writing a rollback tag or a release mark.
 *
 * @example recordAuditAnchor(store, { ...head, at: now.toISOString(), kind: 'git-tag', destination: 'v20260301-1000' })
 */
export function recordAuditAnchor(store: StateStore, anchor: RecordedAnchor): void {
  store.db
    .prepare('INSERT INTO audit_anchors(seq, hash, at, kind, destination) VALUES (?,?,?,?,?)')
    .run(anchor.seq, anchor.hash, anchor.at, anchor.kind, anchor.destination);
}

export function readRecordedAnchors(store: StateStore): RecordedAnchor[] {
  return store.db
    .prepare<[], RecordedAnchor>('SELECT seq, hash, at, kind, destination FROM audit_anchors ORDER BY id')
    .all();
}

/** The recorded anchors as anchors to check: in the same database, so not external. */
export function recordedAnchorsAsAnchors(recorded: readonly RecordedAnchor[]): AuditAnchor[] {
  return recorded.map((r) => ({
    seq: r.seq,
    hash: r.hash,
    at: r.at,
    source: `state store (${r.kind} ${r.destination})`,
    external: false,
  }));
}
