import { describe, expect, it } from 'vitest';
import { ManualClock } from '../kernel/clock.js';
import { StateStore } from '../store/index.js';
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
      action: `step-${i + 1}`,
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
    const result = verifyAuditChain(events, head, 'f'.repeat(64));
    expect(result).toMatchObject({ ok: false, problem: 'head-mismatch' });
  });

  it('never stores a secret value in an event', () => {
    const store = StateStore.open(':memory:');
    const known = ['Sup3r-Secret-Value'];
    const log = new AuditLog(store, new ManualClock(), () => known);
    const event = log.append({
      actor: 'a@x',
      action: 'secrets:add',
      target: 'DATABASE_URL postgresql://app:pw-in-url@db/app',
      reason: 'rotating Sup3r-Secret-Value',
      outcome: 'success',
      details: { password: 'p', url: 'postgres://u:another-pw@h/db', note: 'Sup3r-Secret-Value' },
    });
    const raw = JSON.stringify(store.db.prepare('SELECT * FROM audit_events').all());
    for (const secret of ['Sup3r-Secret-Value', 'pw-in-url', 'another-pw']) expect(raw).not.toContain(secret);
    expect(event.details.password).toBe('[redacted]');
  });
});
