import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../audit/index.js';
import type { DeployParams } from '../../deploy/index.js';
import { DeployStore, readReleaseStatus } from '../../deploy/index.js';
import { ManualClock } from '../../kernel/clock.js';
import { OperationStore } from '../../operations/index.js';
import type { ReleaseRecord, RevisionStatus, ServiceStatus } from '../../platform/index.js';
import { StateStore } from '../../store/index.js';
import type { Style } from '../render.js';
import { renderReleases } from './status-releases.js';

const A = { commit: 'a'.repeat(40), digest: `sha256:${'1'.repeat(64)}` };
const B = { commit: 'b'.repeat(40), digest: `sha256:${'2'.repeat(64)}` };

function revision(name: string, release: typeof A, percent: number): RevisionStatus {
  return {
    name,
    commit: release.commit,
    digest: release.digest,
    state: percent > 0 ? 'ready' : 'stopped',
    percent,
    url: `http://127.0.0.1:1/${name}`,
    restarts: 0,
    createdAt: '2026-01-01T00:00:00.000Z',
    requests: 0,
    requestsPerSecond: 0,
    errorRate: 0,
    p95Ms: 0,
    inFlight: 0,
    secretVersions: {},
    annotations: {},
  };
}

const service = (name: string, revisions: RevisionStatus[]): ServiceStatus => ({
  name,
  url: 'http://127.0.0.1:2',
  traffic: [],
  windowMs: 60_000,
  revisions,
});

function setup() {
  const clock = new ManualClock('2026-03-02T10:00:00Z');
  const state = StateStore.open(':memory:');
  const ops = new OperationStore(state, clock, new AuditLog(state, clock));
  const store = new DeployStore(state, clock);
  /** A deploy operation of `release` on `environment` whose E2E step ended as given. */
  const deployOp = (environment: string, release: typeof A, e2e?: 'succeeded' | 'failed') => {
    const params: DeployParams = {
      commit: release.commit,
      digest: release.digest,
      strategy: 'all-at-once',
      steps: [100],
      watchMs: 1000,
      trafficBefore: [],
      ...(e2e ? { e2e: { name: 'checkout', command: 'node e2e.mjs', timeout: 30_000 } } : {}),
      tests: {
        verdict: 'pass',
        treeHash: 'f'.repeat(40),
        suites: [
          { name: 'unit', status: 'pass', cached: false },
          { name: 'integration', status: 'pass', cached: true },
        ],
      },
    };
    const { op } = ops.begin({
      kind: 'deploy',
      environment,
      actor: 'dev@example.com',
      params,
      state: { revision: `${environment}-00001-abc` },
      subject: release.commit,
      audit: { action: 'deploy', target: release.commit },
    });
    if (e2e) {
      ops.journal(op.id, 'e2e', 'started');
      clock.advance(1000);
      ops.journal(
        op.id,
        'e2e',
        e2e,
        e2e === 'failed' ? { message: 'E2E suite checkout exited 1:\nmore' } : {},
      );
    }
    return op.id;
  };
  return { clock, state, ops, store, deployOp };
}

const plain = (text: string) => text;
const style: Style = { ok: plain, bad: plain, warn: plain, dim: plain, bold: plain };

describe("status: each environment's releases", () => {
  it('groups revisions by release, serving first, with the record, verifications, E2E runs and failures', async () => {
    const { clock, store, ops, deployOp } = setup();
    const verifyingOp = deployOp('staging', A, 'succeeded');
    store.recordVerification({
      environment: 'staging',
      digest: A.digest,
      commit: A.commit,
      revision: 'staging-00001-abc',
      checks: ['wait-ready', 'smoke', 'e2e:checkout', 'watch'],
      windowMs: 1000,
      actor: 'dev@example.com',
      operationId: verifyingOp,
    });
    clock.advance(60_000);
    const failingOp = deployOp('staging', B, 'failed');
    store.recordVerdict({
      environment: 'staging',
      revision: 'staging-00002-def',
      verdict: 'failed',
      digest: B.digest,
      commit: B.commit,
      operationId: failingOp,
      details: { error: 'never took traffic' },
    });
    const records: Record<string, ReleaseRecord> = {
      [A.commit]: { ...A, builtAt: '2026-03-02T09:59:00.000Z', excluded: ['node_modules/.cache/x.bin'] },
    };
    const [staging] = await readReleaseStatus(
      [
        service('staging', [
          revision('staging-00003-ghi', A, 0),
          revision('staging-00002-def', B, 0),
          revision('staging-00001-abc', A, 100),
        ]),
      ],
      { store, ops, readRecord: async (commit) => records[commit] },
    );
    const [a, b] = staging!.releases;
    expect(a).toMatchObject({
      commit: A.commit,
      digest: A.digest,
      percent: 100,
      revisions: ['staging-00003-ghi', 'staging-00001-abc'],
      excluded: ['node_modules/.cache/x.bin'],
      builtAt: '2026-03-02T09:59:00.000Z',
      failedOn: [],
    });
    expect(a!.verifications).toEqual([
      expect.objectContaining({
        environment: 'staging',
        standing: true,
        tests: expect.objectContaining({ verdict: 'pass', suites: expect.any(Array) }),
      }),
    ]);
    expect(a!.e2e).toEqual([
      {
        environment: 'staging',
        suite: 'checkout',
        passed: true,
        at: '2026-03-02T10:00:01.000Z',
        revision: 'staging-00001-abc',
      },
    ]);
    // No record on this machine: unknown, not "nothing excluded".
    expect(b).toMatchObject({ percent: 0, excluded: null, verifications: [] });
    expect(b!.e2e).toEqual([
      expect.objectContaining({ passed: false, message: 'E2E suite checkout exited 1' }),
    ]);
    expect(b!.failedOn).toEqual([expect.objectContaining({ environment: 'staging', verdict: 'failed' })]);

    const text = renderReleases(staging!.releases, style).join('\n');
    expect(text).toContain(
      `release ${'1'.repeat(12)} (commit aaaaaaaa) serving 100 % · staging-00003-ghi, staging-00001-abc`,
    );
    expect(text).toContain('excluded   node_modules/.cache/x.bin');
    expect(text).toContain(
      'verified   ✓ staging 2026-03-02 10:00:01Z · checks wait-ready, smoke, e2e:checkout, watch',
    );
    expect(text).toContain('suites ✓ unit  ✓ integration (cached) (working tree ffffffffffff)');
    expect(text).toContain('e2e        ✓ checkout on staging 2026-03-02 10:00:01Z');
    expect(text).toContain(
      `release ${'2'.repeat(12)} (commit bbbbbbbb) not serving: e2e ✗ checkout on staging 2026-03-02 10:01:02Z: E2E suite checkout exited 1 · failed on staging`,
    );
  });

  it('a failure on another environment revokes the verification and shows on the serving release', async () => {
    const { clock, store, ops, deployOp } = setup();
    store.recordVerification({
      environment: 'staging',
      digest: A.digest,
      commit: A.commit,
      revision: 'staging-00001-abc',
      checks: ['watch'],
      windowMs: 1000,
      actor: 'dev@example.com',
      operationId: deployOp('staging', A),
    });
    clock.advance(1000);
    store.recordVerdict({
      environment: 'production',
      revision: 'production-00002-xyz',
      verdict: 'rolled-back',
      digest: A.digest,
      commit: A.commit,
      operationId: deployOp('production', A),
      details: {},
    });
    const [staging] = await readReleaseStatus([service('staging', [revision('staging-00001-abc', A, 100)])], {
      store,
      ops,
      readRecord: async () => undefined,
    });
    const release = staging!.releases[0]!;
    expect(release.verifications).toEqual([
      expect.objectContaining({ environment: 'staging', standing: false }),
    ]);
    expect(release.failedOn).toEqual([
      {
        environment: 'production',
        verdict: 'rolled-back',
        at: '2026-03-02T10:00:01.000Z',
        revision: 'production-00002-xyz',
      },
    ]);
    const text = renderReleases(staging!.releases, style).join('\n');
    expect(text).toContain('excluded   unknown: no release record on this machine');
    expect(text).toContain(
      'verified   ✗ staging 2026-03-02 10:00:00Z revoked (failed on production) · checks watch',
    );
    expect(text).toContain('failed on production 2026-03-02 10:00:01Z (production-00002-xyz, rolled back)');
  });
});
