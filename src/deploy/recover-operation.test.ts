import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isProdguardError } from '../kernel/errors.js';
import { runAbort, runResume } from './recover-operation.js';
import { runDeploy } from './run-deploy.js';
import { runMaintenance } from './run-maintenance.js';
import { runRollback } from './run-rollback.js';
import { createPipelineHarness, type PipelineHarness } from './testing/pipeline-harness.js';

let h: PipelineHarness;
let v1: string;
let sha: string;
beforeEach(async () => {
  h = await createPipelineHarness();
  h.platform.setLoad('staging', 50);
  h.platform.setLoad('production', 200);
  const first = await h.commit('v1');
  await runDeploy(h.config, { environment: 'staging', commit: first }, h.deps());
  v1 = (await runDeploy(h.config, { environment: 'production', commit: first }, h.deps())).revision!;
  sha = await h.commit('v2');
  await runDeploy(h.config, { environment: 'staging', commit: sha }, h.deps());
});
afterEach(() => h.cleanup());

async function errorOf(promise: Promise<unknown>) {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

/**
 * Freezes the deploying "process" forever right after the platform acted on the n-th matching call, as a
 * SIGKILL would: nothing after that point runs, no cleanup, the lock row stays until its lease expires.
 */
function crashAt(method: string, nth: number): Promise<void> {
  let count = 0;
  return new Promise<void>((reached) => {
    h.platform.afterAct = (m, args) => {
      if (m !== method || (m === 'getMetrics' && args[0] !== 'production')) return;
      if (++count !== nth) return;
      reached();
      return new Promise<void>(() => {});
    };
  });
}

async function crashedDeploy(method: string, nth: number): Promise<string> {
  const frozen = crashAt(method, nth);
  void runDeploy(h.config, { environment: 'production', commit: sha, steps: [10, 100] }, h.deps());
  await frozen;
  h.platform.afterAct = undefined;
  // The dead holder's lease runs out.
  h.clock.advance(2 * 3_600_000);
  const op = h.ops.running('production')[0];
  expect(op, `an operation is left running after the crash at ${method} #${nth}`).toBeDefined();
  return op!.id;
}

const CRASH_POINTS: [string, string, number][] = [
  ['after creating the revision', 'createRevision', 1],
  ['after it became ready', 'waitReady', 1],
  ['after the 10 % switch', 'setTraffic', 1],
  ['during canary analysis', 'getMetrics', 3],
  ['after the 100 % switch', 'setTraffic', 2],
  ['during the watch', 'getMetrics', 12],
  ['while retiring the old revision', 'stopRevision', 1],
];

describe('a deploy killed at each journaled step', () => {
  it.each(CRASH_POINTS)(
    '%s: the next command reports it, resume finishes it',
    async (_label, method, nth) => {
      const opId = await crashedDeploy(method, nth);
      const error = await errorOf(runDeploy(h.config, { environment: 'production', commit: sha }, h.deps()));
      expect(isProdguardError(error) && error.code).toBe('PRODGUARD_OPERATION_INTERRUPTED');
      expect((error as Error).message).toContain(`deploy ${opId} on production was interrupted at step`);
      expect((error as { hint: string }).hint).toBe(
        `Continue it: prodguard resume ${opId} · or undo it: prodguard abort ${opId}`,
      );
      const resumed = await runResume(h.config, { environment: 'production' }, h.deps());
      expect(resumed.kind).toBe('deploy');
      expect(resumed.operationId).toBe(opId);
      const result = resumed.kind === 'deploy' ? resumed.result : undefined;
      expect(result?.outcome).toBe('success');
      expect(result?.steps.every((s) => s.status === 'Success')).toBe(true);
      // Exactly one revision for the operation: resume never starts a twin.
      const mine = (await h.platform.listRevisions('production')).filter(
        (r) => r.labels['prodguard.operation'] === opId,
      );
      expect(mine).toHaveLength(1);
      expect((await h.platform.getService('production')).traffic).toEqual([
        { revision: mine[0]!.name, percent: 100 },
      ]);
      expect(h.ops.get(opId, 'deploy')!.status).toBe('succeeded');
    },
  );

  it.each(CRASH_POINTS)('%s: abort restores the traffic it had before', async (_label, method, nth) => {
    const opId = await crashedDeploy(method, nth);
    const aborted = await runAbort(h.config, { environment: 'production' }, h.deps());
    expect(aborted.operationId).toBe(opId);
    expect((await h.platform.getService('production')).traffic).toEqual([{ revision: v1, percent: 100 }]);
    expect(h.ops.get(opId, 'deploy')!.status).toBe('aborted');
    expect(h.audit.list().at(-1)).toMatchObject({ action: 'deploy', outcome: 'rolled-back' });
    // Unblocked: the same release can be deployed again.
    const again = await runDeploy(h.config, { environment: 'production', commit: sha }, h.deps());
    expect(again.outcome).toBe('success');
  });

  it('a crash during the automatic rollback is finished by resume as a rollback', async () => {
    h.platform.behave(h.digestOf(sha), { errorRate: 0.5 }, 'production');
    const opId = await crashedDeploy('setTraffic', 2);
    expect(h.ops.get(opId, 'deploy')!.state.failing).toMatchObject({ reason: 'breach' });
    const resumed = await runResume(h.config, { environment: 'production' }, h.deps());
    expect(resumed.kind === 'deploy' && resumed.result.outcome).toBe('rolled-back');
    expect((await h.platform.getService('production')).traffic).toEqual([{ revision: v1, percent: 100 }]);
  });

  it('maintenance is refused while an operation is interrupted; rollback is not, and supersedes it', async () => {
    const opId = await crashedDeploy('setTraffic', 1);
    const error = await errorOf(runMaintenance(h.config, { environment: 'production', on: true }, h.deps()));
    expect(isProdguardError(error) && error.code).toBe('PRODGUARD_OPERATION_INTERRUPTED');
    const rollback = await runRollback(h.config, { environment: 'production', to: v1 }, h.deps());
    expect(rollback.superseded).toEqual([opId]);
    expect((await h.platform.getService('production')).traffic).toEqual([{ revision: v1, percent: 100 }]);
    expect(h.ops.running('production')).toEqual([]);
  });

  it('a rollback killed before its switch is finished by resume', async () => {
    const v2 = (await runDeploy(h.config, { environment: 'production', commit: sha }, h.deps())).revision!;
    const frozen = crashAt('waitReady', 1);
    void runRollback(h.config, { environment: 'production' }, h.deps());
    await frozen;
    h.platform.afterAct = undefined;
    h.clock.advance(2 * 3_600_000);
    expect((await h.platform.getService('production')).traffic).toEqual([{ revision: v2, percent: 100 }]);
    const resumed = await runResume(h.config, { environment: 'production' }, h.deps());
    expect(resumed.kind).toBe('rollback');
    expect(resumed.kind === 'rollback' && resumed.result.to).toBe(v1);
    expect((await h.platform.getService('production')).traffic).toEqual([{ revision: v1, percent: 100 }]);
    expect(h.ops.running('production')).toEqual([]);
  });

  it('resume and abort with nothing interrupted say so', async () => {
    const error = await errorOf(runResume(h.config, { environment: 'production' }, h.deps()));
    expect(isProdguardError(error) && error.code).toBe('PRODGUARD_OPERATION_NOTHING_TO_RECOVER');
    const abortError = await errorOf(runAbort(h.config, { environment: 'production' }, h.deps()));
    expect(isProdguardError(abortError) && abortError.code).toBe('PRODGUARD_OPERATION_NOTHING_TO_RECOVER');
  });

  it('journals every step before it acts and after', async () => {
    const result = await runDeploy(
      h.config,
      { environment: 'production', commit: sha, steps: [10, 100] },
      h.deps(),
    );
    const journal = h.ops.readJournal(result.operationId!).map((j) => `${j.step}:${j.phase}`);
    expect(journal).toEqual(
      [
        'create-revision',
        'wait-ready',
        'smoke',
        'traffic-10',
        'analyze-10',
        'traffic-100',
        'watch',
        'verify',
        'retire',
      ].flatMap((s) => [`${s}:started`, `${s}:succeeded`]),
    );
  });
});
