import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../../src/audit/index.js';
import {
  type DeployCheckContext,
  DeployStore,
  noOpenIncidentCheck,
  readOpenIncidents,
} from '../../../src/deploy/index.js';
import {
  addIncidentNote,
  createIncidentOpener,
  type IncidentPorts,
  type IncidentSettings,
  IncidentStore,
  openIncident,
  readIncidentTimeline,
  resolveIncident,
  setIncidentStatus,
} from '../../../src/incident/index.js';
import { systemClock } from '../../../src/kernel/clock.js';
import { type AlertRecord, alertFingerprint, MonitorStore } from '../../../src/monitor/index.js';
import type { Revision } from '../../../src/platform/index.js';
import { readRevisionLogs } from '../../../src/platform/index.js';
import { StateStore } from '../../../src/store/index.js';
import { createPlatformFixture, httpGet, type PlatformFixture } from '../platform/platform-fixture.js';

const LEAKED = 's3cr3t-Pa55word-0123456789';

let fx: PlatformFixture;
let v1: Revision;
let v2: Revision;
let store: StateStore;
let audit: AuditLog;
let dir: string;
let ports: IncidentPorts;
const rollbacks: string[] = [];

const settings = (over: Partial<IncidentSettings> = {}): IncidentSettings => ({
  freezeSeverity: 3,
  rollbackWindowMs: 3_600_000,
  productionEnvironments: ['staging'],
  autoOpen: [{ alert: 'error-ratio', severity: 2, environments: ['staging'] }],
  postmortemDir: join(dir, 'postmortems'),
  ...over,
});

beforeAll(async () => {
  fx = await createPlatformFixture();
  v1 = await fx.revision(await fx.commit({ version: 'v1' }));
  await fx.platform.setTraffic('staging', [{ revision: v1.name, percent: 100 }]);
  v2 = await fx.revision(await fx.commit({ version: 'v2' }));
  await fx.platform.setTraffic('staging', [{ revision: v2.name, percent: 100 }]);
  const service = await fx.platform.getService('staging');
  // The app logs a connection string with its password: the snapshot must mask it.
  await httpGet(
    `${service.url}/log?line=${encodeURIComponent(`connecting to postgres://app:${LEAKED}@db:5432/api`)}`,
  );
  dir = mkdtempSync(join(tmpdir(), 'prodguard-incident-'));
  store = StateStore.open(join(dir, 'state.db'));
  audit = new AuditLog(store, systemClock);
  ports = {
    store,
    clock: systemClock,
    audit,
    platform: fx.platform,
    readLogs: (environment, revision, tail) =>
      readRevisionLogs({ logsDir: fx.agent.paths.logs, service: environment, revision, tail }).map(
        (l) => `${l.at} ${l.stream} ${l.text}`,
      ),
    readAuditTail: (limit) => audit.list({ limit }),
    // Stands in for the deploy kernel's rollback: traffic back to the previous revision, on the real agent.
    rollback: async (environment) => {
      await fx.platform.setTraffic(environment, [{ revision: v1.name, percent: 100 }]);
      rollbacks.push(environment);
      return { revision: v1.name, message: `traffic back on ${v1.name}` };
    },
  };
}, 120_000);

afterAll(async () => {
  store?.close();
  await fx?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('incident lifecycle on a real agent', () => {
  it('opens: freezes deploys, snapshots (masked logs) and rolls back the recent deploy', async () => {
    const result = await openIncident(ports, settings(), {
      environment: 'staging',
      severity: 2,
      title: 'API answers 500 on /resumes',
      actor: 'alice',
    });
    expect(result.steps.map((s) => [s.name, s.status])).toEqual([
      ['record', 'Success'],
      ['snapshot', 'Success'],
      ['rollback', 'Success'],
    ]);
    expect(result.rollback).toMatchObject({ rollback: true, revision: v1.name });
    expect(rollbacks).toEqual(['staging']);
    expect((await fx.platform.getService('staging')).traffic).toEqual([{ revision: v1.name, percent: 100 }]);
    // Snapshot: revisions and traffic as they were, logs of the serving revision, masked.
    const snap = result.snapshot!;
    expect(snap.traffic).toEqual([{ revision: v2.name, percent: 100 }]);
    expect(snap.revisions.map((r) => r.name).sort()).toEqual([v1.name, v2.name].sort());
    const logs = snap.logs[v2.name]!.join('\n');
    expect(logs).toContain('connecting to postgres://app:[redacted]@db:5432/api');
    expect(JSON.stringify(snap)).not.toContain(LEAKED);
    expect(snap.auditTail.length).toBeGreaterThan(0);
    // The deploy rule sees it: SEV-2 is within the freeze level; only a hotfix passes.
    expect(readOpenIncidents(store, 'staging')).toEqual([
      { id: String(result.incident.id), title: 'API answers 500 on /resumes' },
    ]);
    // The rule reads only the environment, the store and the hotfix flag of its context.
    const ctx = {
      environment: 'staging',
      store: new DeployStore(store, systemClock),
      hotfix: undefined,
    } as unknown as DeployCheckContext;
    expect(await noOpenIncidentCheck.run(ctx)).toMatchObject({
      status: 'fail',
      message: `incident #${result.incident.id} API answers 500 on /resumes is open on staging`,
    });
    expect(await noOpenIncidentCheck.run({ ...ctx, hotfix: { reason: 'fix for #1' } })).toMatchObject({
      status: 'pass',
    });
    expect(
      audit
        .list()
        .filter((e) => e.action === 'incident.open')
        .map((e) => e.outcome),
    ).toEqual(['started', 'success']);
  });

  it('an alert while the incident is open joins its timeline instead of opening another', async () => {
    const open = new IncidentStore(store).list({ openOnly: true });
    const alert: AlertRecord = {
      fingerprint: alertFingerprint('error-ratio', 'staging', {}),
      rule: 'error-ratio',
      environment: 'staging',
      severity: 'page',
      labels: { alertname: 'error-ratio', env: 'staging', severity: 'page' },
      state: 'firing',
      condition: 'breach',
      activeSince: Date.now(),
      firingSince: Date.now(),
      lastBreachAt: Date.now(),
      resolvedAt: null,
      value: 0.3,
      threshold: 0.05,
      summary: '30.0% of 1000 requests failed',
      updatedAt: Date.now(),
    };
    new MonitorStore(store).writeAlerts(
      [alert],
      [
        {
          fingerprint: alert.fingerprint,
          rule: 'error-ratio',
          environment: 'staging',
          kind: 'firing',
          at: Date.now(),
          summary: alert.summary,
          value: 0.3,
        },
      ],
    );
    await createIncidentOpener(ports, settings())(alert);
    const after = new IncidentStore(store).list({ openOnly: true });
    expect(after.map((i) => i.id)).toEqual(open.map((i) => i.id));
    const timeline = readIncidentTimeline(ports, after[0]!);
    expect(timeline.map((t) => t.kind)).toEqual(
      expect.arrayContaining(['opened', 'snapshot', 'rollback', 'alert', 'alert firing']),
    );
  });

  it('notes, status and resolve: the freeze lifts and the postmortem has every section', async () => {
    const id = new IncidentStore(store).list({ openOnly: true })[0]!.id;
    addIncidentNote(ports, {
      id,
      text: `pool saturated; DATABASE_URL=postgres://app:${LEAKED}@db/api`,
      actor: 'bob',
    });
    expect(setIncidentStatus(ports, { id, status: 'mitigated', actor: 'bob' }).mitigatedAt).not.toBeNull();
    expect(() => setIncidentStatus(ports, { id, status: 'resolved', actor: 'bob' })).toThrow(
      /resolved with its root cause/,
    );
    const result = resolveIncident(ports, settings(), {
      id,
      rootCause: 'v2 leaked connections under load',
      actor: 'bob',
    });
    expect(readOpenIncidents(store, 'staging')).toEqual([]);
    const md = readFileSync(result.postmortemPath, 'utf8');
    for (const heading of [
      '## Overview',
      '## What happened',
      '## Timeline (UTC)',
      '## Impact',
      '## Contributing factors',
      '## Resolution',
      '## Action items',
    ]) {
      expect(md).toContain(heading);
    }
    expect(md).toContain(`rolled back to ${v1.name}`);
    expect(md).toContain('Root cause: v2 leaked connections under load');
    expect(md).toMatch(/Failed requests: \d+ of \d+/);
    expect(md).not.toContain(LEAKED);
    expect(JSON.stringify(audit.list())).not.toContain(LEAKED);
    expect(() => resolveIncident(ports, settings(), { id, rootCause: 'again', actor: 'bob' })).toThrow(
      /already resolved/,
    );
  });

  it('does not roll back when the newest deploy is older than the window, nor freeze for SEV-4', async () => {
    const result = await openIncident(ports, settings({ rollbackWindowMs: 1 }), {
      environment: 'staging',
      severity: 4,
      title: 'slow PDF export',
      actor: 'carol',
    });
    expect(result.steps.find((s) => s.name === 'rollback')).toMatchObject({
      status: 'NotExecuted',
      detail: expect.stringMatching(/beyond the 0 min rollback window/),
    });
    expect(result.incident.freezesDeploys).toBe(false);
    expect(readOpenIncidents(store, 'staging')).toEqual([]);
  });
});
