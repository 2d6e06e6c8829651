import { describe, expect, it } from 'vitest';
import { ManualClock } from '../kernel/clock.js';
import { ProdguardError } from '../kernel/errors.js';
import { StateStore } from '../store/index.js';
import { AuditUnavailableError } from './audit-errors.js';
import { AuditLog } from './audit-log.js';
import { runAudited, runAuditedAtomic, runAuditedSync } from './run-audited.js';

function setup() {
  const store = StateStore.open(':memory:');
  store.db.exec('CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT NOT NULL)');
  const audit = new AuditLog(store, new ManualClock('2026-03-01T10:00:00Z'));
  const things = () => store.db.prepare('SELECT name FROM things').pluck().all();
  const refuseAudit = () =>
    store.db.exec(
      "CREATE TRIGGER no_audit BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'audit off'); END",
    );
  const trail = () =>
    audit.list().map((e) => `${e.seq} ${e.action} ${e.outcome} ${JSON.stringify(e.details)}`);
  return { store, audit, things, refuseAudit, trail };
}

const intent = { actor: 'a@x', environment: 'staging', action: 'freeze.on', target: 'staging' } as const;

describe('runAudited', () => {
  it('writes the intent before acting and the outcome after, linked by intentSeq', async () => {
    const { audit, trail } = setup();
    const seen: string[] = [];
    const result = await runAudited(
      audit,
      { ...intent, details: { until: null } },
      (started) => {
        seen.push(`acting after #${started.seq} ${started.outcome}`);
        return 42;
      },
      (n) => ({ details: { answer: n } }),
    );
    expect(seen).toEqual(['acting after #1 started']);
    expect(result.value).toBe(42);
    expect(trail()).toEqual([
      '1 freeze.on started {"until":null}',
      '2 freeze.on success {"until":null,"answer":42,"intentSeq":1}',
    ]);
  });

  it('never acts when the intent cannot be written, and says so with PRODGUARD_AUDIT_UNAVAILABLE', async () => {
    const { audit, refuseAudit } = setup();
    refuseAudit();
    let acted = false;
    const run = runAudited(audit, intent, () => {
      acted = true;
    });
    await expect(run).rejects.toBeInstanceOf(AuditUnavailableError);
    await expect(run).rejects.toMatchObject({
      code: 'PRODGUARD_AUDIT_UNAVAILABLE',
      kind: 'refused',
      message: expect.stringMatching(
        /^Could not record freeze\.on \(started\): the audit trail in :memory: is unavailable \(audit off\)\.$/,
      ),
    });
    expect(acted).toBe(false);
  });

  it('records a refusal or a failure with the error code and rethrows the error', async () => {
    const { audit, trail } = setup();
    const refused = new ProdguardError('PRODGUARD_FREEZE_NONE', 'nothing to lift', { kind: 'usage' });
    await expect(runAudited(audit, intent, () => Promise.reject(refused))).rejects.toBe(refused);
    await expect(runAudited(audit, intent, () => Promise.reject(new Error('disk full')))).rejects.toThrow(
      'disk full',
    );
    expect(trail()).toEqual([
      '1 freeze.on started {}',
      '2 freeze.on refused {"code":"PRODGUARD_FREEZE_NONE","intentSeq":1,"error":"nothing to lift"}',
      '3 freeze.on started {}',
      '4 freeze.on failed {"intentSeq":3,"error":"disk full"}',
    ]);
  });

  it('runAuditedSync behaves the same for a synchronous action', () => {
    const { audit, trail } = setup();
    expect(runAuditedSync(audit, intent, () => 'done').value).toBe('done');
    expect(trail()).toEqual(['1 freeze.on started {}', '2 freeze.on success {"intentSeq":1}']);
  });
});

describe('runAuditedAtomic', () => {
  it('commits the change and its outcome together', () => {
    const { store, audit, things, trail } = setup();
    runAuditedAtomic(audit, intent, () =>
      store.db.prepare("INSERT INTO things(name) VALUES ('freeze')").run(),
    );
    expect(things()).toEqual(['freeze']);
    expect(trail()).toHaveLength(2);
  });

  it('undoes the change when its outcome cannot be recorded', () => {
    const { store, audit, things, trail } = setup();
    expect(() =>
      runAuditedAtomic(audit, intent, () => {
        store.db.prepare("INSERT INTO things(name) VALUES ('freeze')").run();
        // the audit becomes unwritable between the intent and the outcome
        store.db.exec(
          "CREATE TRIGGER no_audit BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'audit off'); END",
        );
      }),
    ).toThrow(AuditUnavailableError);
    // The trigger was created inside the rolled-back transaction too: the change, the trigger and the outcome are gone.
    expect(things()).toEqual([]);
    expect(trail()).toEqual(['1 freeze.on started {}']);
  });

  it('undoes the change and records the failure when the action throws', () => {
    const { store, audit, things, trail } = setup();
    expect(() =>
      runAuditedAtomic(audit, intent, () => {
        store.db.prepare("INSERT INTO things(name) VALUES ('half')").run();
        throw new Error('constraint');
      }),
    ).toThrow('constraint');
    expect(things()).toEqual([]);
    expect(trail()).toEqual([
      '1 freeze.on started {}',
      '2 freeze.on failed {"intentSeq":1,"error":"constraint"}',
    ]);
  });
});
