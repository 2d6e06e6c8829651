import { type AuditEvent, GENESIS_HASH } from './audit-event.js';
import { hashAuditEvent } from './audit-hash.js';

export type AuditProblemKind = 'edited' | 'deleted' | 'inserted-or-reordered' | 'truncated' | 'head-mismatch';

export interface AuditVerification {
  ok: boolean;
  events: number;
  headHash: string;
  /** The first sequence number at which the chain breaks. */
  firstBadSeq?: number;
  problem?: AuditProblemKind;
  message: string;
}

/**
 * Pure check of a chain. Edits break the event's own hash; deletions leave a gap in seq; insertions and
 * reorders break a prevHash link; deleting the newest events is caught by the stored head (and by
 * `expectedHead`, a hash the user kept elsewhere, against someone who rewrote the head too).
 */
export function verifyAuditChain(
  events: readonly AuditEvent[],
  head: { seq: number; hash: string } | undefined,
  expectedHead?: string,
): AuditVerification {
  let prev = GENESIS_HASH;
  for (const [index, event] of events.entries()) {
    const expectedSeq = index + 1;
    if (event.seq !== expectedSeq) {
      return fail(
        events.length,
        prev,
        expectedSeq,
        'deleted',
        `Event #${expectedSeq} is missing (next stored event is #${event.seq}).`,
      );
    }
    if (event.prevHash !== prev) {
      return fail(
        events.length,
        prev,
        event.seq,
        'inserted-or-reordered',
        `Event #${event.seq} does not follow event #${event.seq - 1}: its previous-hash link is broken (inserted or reordered).`,
      );
    }
    const { hash, ...rest } = event;
    if (hashAuditEvent(rest) !== hash) {
      return fail(
        events.length,
        prev,
        event.seq,
        'edited',
        `Event #${event.seq} was modified after it was written: its hash does not match its content.`,
      );
    }
    prev = hash;
  }
  const last = events.at(-1);
  if (head && (head.seq !== (last?.seq ?? 0) || head.hash !== prev)) {
    const firstBad = Math.min(head.seq, (last?.seq ?? 0) + 1);
    return fail(
      events.length,
      prev,
      firstBad,
      'truncated',
      `The log ends at #${last?.seq ?? 0} but its head records #${head.seq}: events were removed from the end.`,
    );
  }
  if (!head && events.length > 0) {
    return fail(events.length, prev, 1, 'head-mismatch', 'The audit head record is missing.');
  }
  if (expectedHead && expectedHead !== prev) {
    return fail(
      events.length,
      prev,
      last?.seq ?? 0,
      'head-mismatch',
      `The chain's head ${prev.slice(0, 12)}… is not the expected ${expectedHead.slice(0, 12)}…: the log was rewritten.`,
    );
  }
  return {
    ok: true,
    events: events.length,
    headHash: prev,
    message: `${events.length} events, chain intact.`,
  };
}

function fail(
  count: number,
  headHash: string,
  seq: number,
  problem: AuditProblemKind,
  message: string,
): AuditVerification {
  return { ok: false, events: count, headHash, firstBadSeq: seq, problem, message };
}
