import { ProdguardError } from '../kernel/errors.js';
import { OperationStore } from '../operations/index.js';
import type { MasterKey } from './master-key.js';
import { RotationJournal, type RotationRecord, type RotationStepRecord } from './rotation-journal.js';
import type { SecretsContext } from './secrets-context.js';

type RotationReadContext = Pick<SecretsContext, 'store' | 'clock' | 'audit'>;

function journalOf(ctx: RotationReadContext, key: MasterKey): RotationJournal {
  return new RotationJournal(new OperationStore(ctx.store, ctx.clock, ctx.audit), key);
}

/** Recent rotations, newest first, optionally of one secret or environment. Reads only. */
export function listRotations(
  ctx: RotationReadContext,
  key: MasterKey,
  filter: { name?: string; environment?: string } = {},
): RotationRecord[] {
  return journalOf(ctx, key).list(filter);
}

/** One rotation and its journaled steps; PRODGUARD_SECRET_ROTATION_NOT_FOUND for an unknown id. */
export function readRotation(
  ctx: RotationReadContext,
  key: MasterKey,
  id: string,
): { rotation: RotationRecord; steps: RotationStepRecord[] } {
  const journal = journalOf(ctx, key);
  const rotation = journal.get(id);
  if (!rotation) {
    throw new ProdguardError('PRODGUARD_SECRET_ROTATION_NOT_FOUND', `No rotation ${id}.`, {
      kind: 'usage',
      hint: 'List them with `prodguard secrets rotations`.',
    });
  }
  return { rotation, steps: journal.steps(id) };
}
