import type { AuditAnchor } from './audit-anchor.js';
import { type AuditEvent, type AuditHead, GENESIS_HASH } from './audit-event.js';
import { hashAuditEvent } from './audit-hash.js';

export type AuditProblemKind =
  | 'edited'
  | 'deleted'
  | 'inserted-or-reordered'
  | 'truncated'
  | 'rewritten'
  | 'wiped'
  | 'head-mismatch';

/** One anchor compared with the stored chain. */
export interface AnchorCheck {
  source: string;
  seq: number;
  hash: string;
  external: boolean;
  /** `matches`: the stored event at seq has this hash; `differs`: it does not; `beyond-chain`: no such event. */
  status: 'matches' | 'differs' | 'beyond-chain';
}

/** An intent (outcome `started`) that no outcome event names in `details.intentSeq`: running, or interrupted. */
export interface UnfinishedAction {
  seq: number;
  at: string;
  action: string;
  environment: string | null;
  target: string | null;
}

export interface AuditVerification {
  ok: boolean;
  events: number;
  headHash: string;
  /** The first sequence number at which the chain breaks. */
  firstBadSeq?: number;
  problem?: AuditProblemKind;
  message: string;
  anchors: AnchorCheck[];
  warnings: string[];
  /** Not a break in the chain: actions whose intent was written and whose outcome was not (yet). */
  unfinished: UnfinishedAction[];
}

export interface VerifyAuditChainOptions {
  /** A head hash the user kept elsewhere (`--expect-head`). */
  expectedHead?: string;
  /** Heads recorded outside the chain: tag annotations, anchor files, URLs (and the store's own records). */
  anchors?: readonly AuditAnchor[];
}

/**
 * Pure check of a chain. Edits break the event's own hash; deletions leave a gap in seq; insertions and
 * reorders break a prevHash link; deleting the newest events is caught by the stored head. Someone who
 * rewrites the whole chain and its head is caught by the anchors: an anchor beyond the stored chain means
 * truncation, an anchor whose hash differs from the stored event at its seq means a rewrite, and anchors
 * with no events at all mean the log was wiped.
 */
export function verifyAuditChain(
  events: readonly AuditEvent[],
  head: AuditHead | undefined,
  options: VerifyAuditChainOptions = {},
): AuditVerification {
  const anchors = checkAnchors(events, options.anchors ?? []);
  const warnings = anchorWarnings(events, anchors);
  const unfinished = findUnfinished(events);
  const result = checkChain(events, head, options.expectedHead);
  const last = events.at(-1)?.seq ?? 0;
  if (!result.ok) return { ...result, anchors, warnings, unfinished };
  // Anchors outside the store name the problem first: the store's own records could have been forged too.
  const rank = (a: AnchorCheck) => (a.external ? 0 : 1);
  const differs = anchors
    .filter((a) => a.status === 'differs')
    .sort((a, b) => rank(a) - rank(b) || a.seq - b.seq)[0];
  const beyond = anchors
    .filter((a) => a.status === 'beyond-chain')
    .sort((a, b) => rank(a) - rank(b) || b.seq - a.seq)[0];
  if (events.length === 0 && (beyond || (head?.seq ?? 0) > 0)) {
    const seq = beyond?.seq ?? head?.seq ?? 0;
    return {
      ...fail(0, result.headHash, 1, 'wiped'),
      message: `The log is empty but ${beyond ? beyond.source : 'its head record'} shows ${seq} event(s): every event was deleted.`,
      anchors,
      warnings,
      unfinished,
    };
  }
  if (differs) {
    return {
      ...fail(events.length, result.headHash, differs.seq, 'rewritten'),
      message: `Event #${differs.seq} does not match ${differs.source} (hash ${differs.hash.slice(0, 12)}…, stored ${hashAt(events, differs.seq).slice(0, 12)}…): the log was rewritten at or before #${differs.seq}.`,
      anchors,
      warnings,
      unfinished,
    };
  }
  if (beyond) {
    return {
      ...fail(events.length, result.headHash, last + 1, 'truncated'),
      message: `The log ends at #${last} but ${beyond.source} records event #${beyond.seq}: events were removed from the end.`,
      anchors,
      warnings,
      unfinished,
    };
  }
  return { ...result, anchors, warnings, unfinished };
}

/**
 * Intents no outcome points back to (`details.intentSeq`). Outcomes written without that link (by older
 * versions, or by code that pairs by action) are matched to the latest earlier intent of the same action
 * and environment instead.
 */
function findUnfinished(events: readonly AuditEvent[]): UnfinishedAction[] {
  const linked = new Set<number>();
  for (const e of events) if (typeof e.details.intentSeq === 'number') linked.add(e.details.intentSeq);
  const unlinkedOutcomes = new Map<string, number>();
  const unfinished: UnfinishedAction[] = [];
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    const key = `${e.action}\u0000${e.environment ?? ''}`;
    if (e.outcome !== 'started') {
      if (typeof e.details.intentSeq !== 'number')
        unlinkedOutcomes.set(key, (unlinkedOutcomes.get(key) ?? 0) + 1);
      continue;
    }
    if (linked.has(e.seq)) continue;
    const pending = unlinkedOutcomes.get(key) ?? 0;
    if (pending > 0) unlinkedOutcomes.set(key, pending - 1);
    else
      unfinished.push({
        seq: e.seq,
        at: e.at,
        action: e.action,
        environment: e.environment,
        target: e.target,
      });
  }
  return unfinished.reverse();
}

function hashAt(events: readonly AuditEvent[], seq: number): string {
  return events.find((e) => e.seq === seq)?.hash ?? '(none)';
}

function checkAnchors(events: readonly AuditEvent[], anchors: readonly AuditAnchor[]): AnchorCheck[] {
  const bySeq = new Map(events.map((e) => [e.seq, e]));
  const last = events.at(-1)?.seq ?? 0;
  return anchors.map((a) => {
    const status: AnchorCheck['status'] =
      a.seq === 0
        ? 'matches'
        : a.seq > last
          ? 'beyond-chain'
          : bySeq.get(a.seq)?.hash === a.hash
            ? 'matches'
            : 'differs';
    return { source: a.source, seq: a.seq, hash: a.hash, external: a.external, status };
  });
}

function anchorWarnings(events: readonly AuditEvent[], anchors: readonly AnchorCheck[]): string[] {
  const external = anchors.filter((a) => a.external);
  if (external.length === 0) {
    return [
      'No anchor outside the state store was found: a rewrite of the whole database would not be detected. Anchor the head with `prodguard audit anchor --to <file|url>` (or audit.anchors in prodguard.yaml).',
    ];
  }
  const newest = Math.max(...external.map((a) => a.seq));
  const last = events.at(-1)?.seq ?? 0;
  return newest < last
    ? [
        `Events after #${newest} (the newest external anchor) are protected by the chain alone until the next anchor.`,
      ]
    : [];
}

function checkChain(
  events: readonly AuditEvent[],
  head: AuditHead | undefined,
  expectedHead: string | undefined,
): Omit<AuditVerification, 'anchors' | 'warnings' | 'unfinished'> {
  let prev = GENESIS_HASH;
  for (const [index, event] of events.entries()) {
    const expectedSeq = index + 1;
    if (event.seq !== expectedSeq) {
      return {
        ...fail(events.length, prev, expectedSeq, 'deleted'),
        message: `Event #${expectedSeq} is missing (next stored event is #${event.seq}).`,
      };
    }
    if (event.prevHash !== prev) {
      return {
        ...fail(events.length, prev, event.seq, 'inserted-or-reordered'),
        message: `Event #${event.seq} does not follow event #${event.seq - 1}: its previous-hash link is broken (inserted or reordered).`,
      };
    }
    const { hash, ...rest } = event;
    if (hashAuditEvent(rest) !== hash) {
      return {
        ...fail(events.length, prev, event.seq, 'edited'),
        message: `Event #${event.seq} was modified after it was written: its hash does not match its content.`,
      };
    }
    prev = hash;
  }
  const last = events.at(-1);
  if (head && events.length > 0 && (head.seq !== last!.seq || head.hash !== prev)) {
    return {
      ...fail(events.length, prev, Math.min(head.seq, last!.seq + 1), 'truncated'),
      message: `The log ends at #${last!.seq} but its head records #${head.seq}: events were removed from the end.`,
    };
  }
  if (!head && events.length > 0) {
    return { ...fail(events.length, prev, 1, 'head-mismatch'), message: 'The audit head record is missing.' };
  }
  if (expectedHead && expectedHead !== prev) {
    return {
      ...fail(events.length, prev, last?.seq ?? 0, 'head-mismatch'),
      message: `The chain's head ${prev.slice(0, 12)}… is not the expected ${expectedHead.slice(0, 12)}…: the log was rewritten.`,
    };
  }
  return {
    ok: true,
    events: events.length,
    headHash: prev,
    message: `${events.length} events, chain intact.`,
  };
}

function fail(count: number, headHash: string, seq: number, problem: AuditProblemKind) {
  return { ok: false, events: count, headHash, firstBadSeq: seq, problem, message: '' };
}
