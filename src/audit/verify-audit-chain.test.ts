import { describe, expect, it } from 'vitest';
import { ManualClock } from '../kernel/clock.js';
import { StateStore } from '../store/index.js';
import { AUDIT_ACTIONS } from './audit-actions.js';
import type { AuditAnchor } from './audit-anchor.js';
import type { AuditEvent } from './audit-event.js';
import { AuditLog } from './audit-log.js';
import { verifyAuditChain } from './verify-audit-chain.js';

function chainOf(count: number) {
  const store = StateStore.open(':memory:');
  const log = new AuditLog(store, new ManualClock('2026-03-01T10:00:00Z'));
  for (let i = 0; i < count; i++)
    log.append({
      actor: 'a@x',
      environment: 'production',
      action: AUDIT_ACTIONS[i % AUDIT_ACTIONS.length]!,
      outcome: 'success',
      details: { i },
    });
  return log.readAllForVerification();
}

describe('verifyAuditChain', () => {
  it('accepts an intact chain and reports its head', () => {
    const { events, head } = chainOf(4);
    const result = verifyAuditChain(events, head);
    expect(result).toMatchObject({ ok: true, events: 4, headHash: events[3]!.hash });
  });

  it('names the first bad event for an edit, a deletion, an insertion, a reorder and a truncation', () => {
    const { events, head } = chainOf(5);
    const edited = events.map((e) => (e.seq === 3 ? { ...e, outcome: 'refused' as const } : e));
    expect(verifyAuditChain(edited, head)).toMatchObject({ ok: false, firstBadSeq: 3, problem: 'edited' });

    const deleted = events.filter((e) => e.seq !== 2);
    expect(verifyAuditChain(deleted, head)).toMatchObject({ ok: false, firstBadSeq: 2, problem: 'deleted' });

    // An inserted event renumbers the rest: its link to the previous hash cannot be right without the key.
    const forged: AuditEvent = { ...events[1]!, action: 'forged' };
    const inserted = [events[0]!, forged, ...events.slice(1).map((e) => ({ ...e, seq: e.seq + 1 }))].map(
      (e, i) => ({ ...e, seq: i + 1 }),
    );
    expect(verifyAuditChain(inserted, head)).toMatchObject({ ok: false, firstBadSeq: 2 });

    const swapped = [
      events[0]!,
      { ...events[2]!, seq: 2 },
      { ...events[1]!, seq: 3 },
      events[3]!,
      events[4]!,
    ];
    expect(verifyAuditChain(swapped, head)).toMatchObject({
      ok: false,
      firstBadSeq: 2,
      problem: 'inserted-or-reordered',
    });

    expect(verifyAuditChain(events.slice(0, 3), head)).toMatchObject({
      ok: false,
      firstBadSeq: 4,
      problem: 'truncated',
    });
  });

  it('detects a complete rewrite when given the head hash kept elsewhere', () => {
    const { events, head } = chainOf(2);
    const result = verifyAuditChain(events, head, { expectedHead: 'f'.repeat(64) });
    expect(result).toMatchObject({ ok: false, problem: 'head-mismatch' });
  });

  const anchor = (seq: number, hash: string): AuditAnchor => ({
    seq,
    hash,
    source: `tag t${seq}`,
    external: true,
  });

  it('checks anchors: a match passes, a different hash is a rewrite, a seq past the end a truncation', () => {
    const { events, head } = chainOf(5);
    const ok = verifyAuditChain(events, head, { anchors: [anchor(3, events[2]!.hash)] });
    expect(ok).toMatchObject({ ok: true, anchors: [{ status: 'matches', seq: 3 }] });
    expect(ok.warnings).toEqual([
      'Events after #3 (the newest external anchor) are protected by the chain alone until the next anchor.',
    ]);

    // A rewritten chain is internally consistent; only the anchor knows.
    const rewritten = verifyAuditChain(events, head, { anchors: [anchor(3, 'a'.repeat(64))] });
    expect(rewritten).toMatchObject({ ok: false, problem: 'rewritten', firstBadSeq: 3 });

    // Truncated to 3 events with the head record rewritten to match.
    const truncated = verifyAuditChain(
      events.slice(0, 3),
      { seq: 3, hash: events[2]!.hash },
      {
        anchors: [anchor(5, events[4]!.hash)],
      },
    );
    expect(truncated).toMatchObject({ ok: false, problem: 'truncated', firstBadSeq: 4 });
    expect(truncated.message).toBe(
      'The log ends at #3 but tag t5 records event #5: events were removed from the end.',
    );
  });

  it('reports a wiped log when anchors (or the head record) remember events', () => {
    const { events } = chainOf(2);
    expect(verifyAuditChain([], undefined, { anchors: [anchor(2, events[1]!.hash)] })).toMatchObject({
      ok: false,
      problem: 'wiped',
    });
    expect(verifyAuditChain([], { seq: 2, hash: events[1]!.hash })).toMatchObject({
      ok: false,
      problem: 'wiped',
    });
    // A new project: nothing written, nothing anchored.
    expect(verifyAuditChain([], undefined)).toMatchObject({ ok: true, events: 0 });
  });

  it('warns when no anchor lives outside the state store', () => {
    const { events, head } = chainOf(1);
    const result = verifyAuditChain(events, head, {
      anchors: [{ ...anchor(1, events[0]!.hash), external: false }],
    });
    expect(result.ok).toBe(true);
    expect(result.warnings[0]).toMatch(/^No anchor outside the state store was found/);
  });

  it('never stores a secret value in an event', () => {
    const store = StateStore.open(':memory:');
    const known = ['Sup3r-Secret-Value'];
    const log = new AuditLog(store, new ManualClock(), () => known);
    const event = log.append({
      actor: 'a@x',
      action: 'secrets.add',
      target: 'DATABASE_URL postgresql://app:pw-in-url@db/app',
      reason: 'rotating Sup3r-Secret-Value',
      outcome: 'success',
      details: { password: 'p', url: 'postgres://u:another-pw@h/db', note: 'Sup3r-Secret-Value' },
    });
    const raw = JSON.stringify(store.db.prepare('SELECT * FROM audit_events').all());
    for (const secret of ['Sup3r-Secret-Value', 'pw-in-url', 'another-pw']) expect(raw).not.toContain(secret);
    expect(event.details.password).toBe('[redacted]');
  });

  it('lists intents without an outcome (running or interrupted), pairing outcomes that do not name their intent', () => {
    const store = StateStore.open(':memory:');
    const log = new AuditLog(store, new ManualClock('2026-03-01T10:00:00Z'));
    const base = { actor: 'a@x', environment: 'production' } as const;
    log.append({ ...base, action: 'deploy', outcome: 'started' }); // #1 paired by an unlinked outcome
    log.append({ ...base, action: 'deploy', outcome: 'success' }); // #2
    log.append({ ...base, action: 'freeze.on', outcome: 'started' }); // #3 linked below
    log.append({ ...base, action: 'freeze.on', outcome: 'success', details: { intentSeq: 3 } }); // #4
    log.append({ ...base, action: 'migrate.deploy', outcome: 'started', target: '2 migrations' }); // #5 killed
    log.append({ ...base, action: 'deploy', outcome: 'started' }); // #6 still running
    const { events, head } = log.readAllForVerification();
    const result = verifyAuditChain(events, head);
    expect(result.ok).toBe(true);
    expect(result.unfinished.map((u) => `#${u.seq} ${u.action} ${u.target ?? ''}`)).toEqual([
      '#5 migrate.deploy 2 migrations',
      '#6 deploy ',
    ]);
  });
});
