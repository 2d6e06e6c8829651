import { assertEnvironment } from '../config/index.js';
import { formatDuration } from '../kernel/duration.js';
import { ProdguardError } from '../kernel/errors.js';
import { redactText } from '../kernel/redact.js';
import { TypedEvents } from '../kernel/typed-events.js';
import {
  type OperationEventMap,
  type OperationRecord,
  OperationRunner,
  OperationStore,
  refuseInterrupted,
  type StepEventSink,
  type StepResult,
} from '../operations/index.js';
import {
  evaluateRules,
  type RuleCheck,
  type RuleEvaluation,
  type RuleOverride,
} from '../rules/rule-engine.js';
import { type EnvironmentLock, withEnvironmentLock } from '../store/environment-lock.js';
import type { MasterKey } from './master-key.js';
import { planRotation, type RotationPlan } from './plan-rotation.js';
import { type PostgresRoleAdmin, withCredentials } from './postgres-role-admin.js';
import { purgeDueVersions } from './purge-due-versions.js';
import {
  RotationJournal,
  type RotationRecord,
  type RotationStepName,
  type RotationSteps,
  type RotationStrategy,
} from './rotation-journal.js';
import {
  adminSecretName,
  memberRolesOf,
  type RotationRuleContext,
  rotationStagingFirstCheck,
} from './rotation-rules.js';
import { generatePassword, generateRandomSecret } from './scram-verifier.js';
import type { SecretRef } from './secret-vault.js';
import { requireSecret, type SecretsContext } from './secrets-context.js';
import type { RunningRevision } from './secrets-ports.js';

export interface RotateSecretInput {
  name: string;
  environment: string;
  strategy?: RotationStrategy;
  /** Continue the interrupted rotation of this secret instead of starting one. */
  resume?: boolean;
  overrides?: readonly RuleOverride[];
  /** Operator's confirmation that the previously pinned version runs nowhere (when no platform can tell). */
  previousRetired?: boolean;
}

/** Test and fault-injection points: called around every step, after its journal entry. */
export interface RotationHooks {
  beforeStep?(step: RotationStepName, rotation: RotationRecord): void | Promise<void>;
  afterStep?(step: RotationStepName, rotation: RotationRecord): void | Promise<void>;
}

export interface RotateSecretDeps {
  postgres: PostgresRoleAdmin;
  /** Seals the generated value in the journal until it becomes a version. */
  key: MasterKey;
  /** Checks for the other rules guarding `rotate` (freeze, open incident, no-deploy weekday). */
  checks?: readonly RuleCheck<RotationRuleContext>[];
  hooks?: RotationHooks;
  /** How long to wait for the environment lock. */
  lockWaitMs?: number;
  /** Ctrl-C: stops between steps and during waits; the journal keeps the rotation resumable. */
  signal?: AbortSignal;
  /** Display of each step as it ends (the CLI's operation renderer). */
  events?: StepEventSink;
}

export type RotationStepResult = StepResult;

export interface RotateSecretResult {
  /** succeeded; rolled-back (rollout failed, previous version re-pinned); interrupted (resume with --resume). */
  outcome: 'succeeded' | 'rolled-back' | 'interrupted';
  rotation: RotationRecord;
  steps: RotationStepResult[];
  notes: string[];
  evaluation?: RuleEvaluation;
  error?: { code: string; message: string; hint?: string };
}

const STEPS: Record<RotationStrategy, readonly RotationStepName[]> = {
  // AWS "alternating users": the standby role gets its password and is proven to work before anyone uses it.
  alternating: ['create', 'set', 'test', 'add-version', 'pin', 'rollout'],
  // Seed §4 protocol: new version first, roll out, only then change the password, then wait for it to work.
  'single-user': ['create', 'add-version', 'pin', 'rollout', 'set', 'test', 'watch'],
  regenerate: ['create', 'add-version', 'pin', 'rollout'],
};

export function rotationSteps(strategy: RotationStrategy): readonly RotationStepName[] {
  return STEPS[strategy];
}

class RolloutFailed extends Error {}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new ProdguardError('PRODGUARD_SECRET_ROTATION_FAILED', 'interrupted by the operator (Ctrl-C)', {
      kind: 'failed',
    });
  }
}

/**
 * Rotates one secret as a journaled operation (kind `secrets-rotation`) under the environment lock. Its
 * rollout is a child deploy operation. Returns the step-by-step result; throws only when the rotation is
 * refused before it starts.
 */
export async function rotateSecret(
  ctx: SecretsContext,
  input: RotateSecretInput,
  deps: RotateSecretDeps,
): Promise<RotateSecretResult> {
  assertEnvironment(ctx.config, input.environment);
  const ref: SecretRef = { name: input.name, environment: input.environment };
  // Mutating commands erase values whose grace period ended (audited); reads never do.
  await purgeDueVersions(ctx);
  const secret = await requireSecret(ctx, ref);
  const journal = new RotationJournal(
    ctx.ops ?? new OperationStore(ctx.store, ctx.clock, ctx.audit),
    deps.key,
  );
  return withEnvironmentLock(
    ctx.store,
    {
      environment: input.environment,
      operation: `secrets rotate ${input.name}`,
      owner: ctx.actor,
      clock: ctx.clock,
      waitMs: deps.lockWaitMs ?? 0,
    },
    async (lock) => {
      let rotation = journal.running(input.name, input.environment);
      if (rotation && !input.resume) {
        throw new ProdguardError(
          'PRODGUARD_SECRET_ROTATION_RUNNING',
          `Rotation ${rotation.id} of ${input.name} (${input.environment}) was interrupted after step "${rotation.step}".`,
          {
            kind: 'refused',
            hint: `Continue it: prodguard resume ${rotation.id} (or undo it: prodguard abort ${rotation.id}).`,
            details: { rotation: rotation.id, step: rotation.step },
          },
        );
      }
      if (!rotation && input.resume) {
        throw new ProdguardError(
          'PRODGUARD_SECRET_ROTATION_NOT_FOUND',
          `No interrupted rotation of ${input.name} in ${input.environment} to resume.`,
          {
            kind: 'usage',
            hint: `Start one: prodguard secrets rotate ${input.name} --env ${input.environment}`,
          },
        );
      }
      let evaluation: RuleEvaluation | undefined;
      let notes: string[] = [];
      if (!rotation) {
        // Any other interrupted operation on this environment is settled first (resume or abort).
        refuseInterrupted(journal.ops, new TypedEvents<OperationEventMap>(ctx.log), input.environment);
        const versions = await ctx.vault.listVersions(ref);
        const pin = ctx.pins.get(ref);
        const running = ctx.running ? await ctx.running.list(input.environment) : undefined;
        const plan: RotationPlan = planRotation({
          name: input.name,
          environment: input.environment,
          kind: secret.kind,
          requested: input.strategy,
          versions,
          pin,
          members: memberRolesOf(ctx),
          runningVersions: running
            ?.map((r) => r.secretVersions[input.name])
            .filter((v): v is number => v !== undefined),
          previousRetired: input.previousRetired ?? false,
          canRollout: ctx.roller !== undefined,
        });
        notes = plan.notes;
        if (plan.refusals.length > 0) {
          ctx.audit.append({
            actor: ctx.actor,
            environment: input.environment,
            action: 'secrets.rotate',
            target: input.name,
            outcome: 'refused',
            details: { strategy: plan.strategy, refusals: plan.refusals },
          });
          throw new ProdguardError(
            'PRODGUARD_SECRET_ROTATION_REFUSED',
            `Refusing to rotate ${input.name} in ${input.environment}:\n${plan.refusals.map((r) => `  - ${r}`).join('\n')}`,
            { kind: 'refused', details: { refusals: plan.refusals } },
          );
        }
        evaluation = await evaluateRules<RotationRuleContext>({
          config: ctx.config,
          action: 'rotate',
          environment: input.environment,
          checks: [rotationStagingFirstCheck(ctx, journal), ...(deps.checks ?? [])],
          context: { name: input.name, environment: input.environment, at: ctx.clock.now() },
          overrides: input.overrides ?? [],
          clock: ctx.clock,
        });
        if (!evaluation.ok) {
          ctx.audit.append({
            actor: ctx.actor,
            environment: input.environment,
            action: 'secrets.rotate',
            target: input.name,
            outcome: 'refused',
            details: { rules: evaluation.blocking.map((v) => ({ id: v.id, message: v.message })) },
          });
          throw new ProdguardError(
            'PRODGUARD_SECRET_ROTATION_REFUSED',
            `Refusing to rotate ${input.name} in ${input.environment}:\n${evaluation.blocking.map((v) => `  ✗ ${v.id}: ${v.message}`).join('\n')}`,
            {
              kind: 'refused',
              hint: `${evaluation.blocking
                .map((v) => v.hint ?? '')
                .filter(Boolean)
                .join(' ')} Or --override <rule> --reason "<why>" (audited).`.trim(),
              details: { verdicts: evaluation.verdicts },
            },
          );
        }
        for (const v of evaluation.overridden) {
          ctx.audit.append({
            actor: ctx.actor,
            environment: input.environment,
            action: 'rule.override',
            target: v.id,
            reason: v.overrideReason,
            outcome: 'overridden',
            details: { for: 'secrets.rotate', secret: input.name, message: v.message },
          });
        }
        const { op } = journal.ops.begin({
          kind: 'secrets-rotation',
          environment: input.environment,
          actor: ctx.actor,
          params: {
            name: input.name,
            kind: secret.kind,
            strategy: plan.strategy,
            fromVersion: plan.fromVersion,
            role: plan.role,
          },
          state: {},
          subject: input.name,
          audit: {
            action: 'secrets.rotate',
            target: input.name,
            details: { strategy: plan.strategy, fromVersion: plan.fromVersion, role: plan.role },
          },
        });
        rotation = journal.get(op.id)!;
      }
      return runRotationSteps(ctx, deps, journal, rotation, notes, evaluation, lock);
    },
  );
}

async function runRotationSteps(
  ctx: SecretsContext,
  deps: RotateSecretDeps,
  journal: RotationJournal,
  start: RotationRecord,
  notes: string[],
  evaluation: RuleEvaluation | undefined,
  lock: EnvironmentLock,
): Promise<RotateSecretResult> {
  const ref: SecretRef = { name: start.name, environment: start.environment };
  const names = rotationSteps(start.strategy);
  const ops = journal.ops;
  const op = journal.operation(start.id)!;
  const runner = new OperationRunner(
    op,
    ops,
    deps.events ?? new TypedEvents<OperationEventMap>(ctx.log),
    lock,
  );
  // Steps done before an interruption are reported as skipped by this run.
  const doneBefore = new Set<string>(names.filter((name) => runner.isDone(name)));
  const results = (): StepResult[] =>
    runner
      .results(names)
      .map((r) =>
        doneBefore.has(r.name) ? { ...r, status: 'Skipped', detail: 'done before the interruption' } : r,
      );
  let rotation = start;
  const pending = (): string => {
    const value = journal.pendingValue(rotation.id);
    if (value === undefined) throw new Error(`rotation ${rotation.id} lost its pending value`);
    ctx.knownSecrets.add(value);
    return value;
  };
  const fromValue = async (): Promise<string> => {
    if (rotation.fromVersion === null) throw new Error('no version to rotate from');
    const value = await ctx.vault.accessVersion(ref, rotation.fromVersion);
    ctx.knownSecrets.add(value);
    return value;
  };
  const newValue = async (): Promise<string> =>
    rotation.kind === 'postgres' ? withCredentials(await fromValue(), rotation.role!, pending()) : pending();
  const adminUrl = async (): Promise<string> => {
    const adminRef = { name: adminSecretName(ctx, ref.name), environment: ref.environment };
    const pin = ctx.pins.get(adminRef);
    if (!pin) {
      // A role may change its own password: the single-user protocol can log in as the user itself.
      if (rotation.strategy === 'single-user') return fromValue();
      throw new ProdguardError(
        'PRODGUARD_SECRET_ADMIN_MISSING',
        `The admin connection secret ${adminRef.name} has no pinned version in ${ref.environment}.`,
        {
          kind: 'usage',
          hint: `Add it: prodguard secrets add ${adminRef.name} --env ${ref.environment} --kind external < admin-url-file (a role with CREATEROLE).`,
        },
      );
    }
    const value = await ctx.vault.accessVersion(adminRef, pin.version);
    ctx.knownSecrets.add(value);
    return value;
  };

  const actions: { [S in RotationStepName]: () => Promise<RotationSteps[S]> } = {
    create: async () => {
      if (journal.pendingValue(rotation.id) === undefined) {
        const value = rotation.kind === 'postgres' ? generatePassword() : generateRandomSecret();
        ctx.knownSecrets.add(value);
        journal.setPendingValue(rotation.id, value);
      }
      return {
        detail:
          rotation.kind === 'postgres' ? `new password for ${rotation.role}` : 'new random value (384 bits)',
      };
    },
    set: async () => {
      await deps.postgres.setPassword(await adminUrl(), rotation.role!, pending());
      return { detail: `ALTER ROLE ${rotation.role} PASSWORD (SCRAM verifier)` };
    },
    test: async () => {
      const url = await newValue();
      const started = ctx.clock.nowMs();
      const { propagationTimeout, propagationInterval } = ctx.config.secrets;
      let attempts = 0;
      for (;;) {
        attempts++;
        const attempt = await deps.postgres.tryLogin(url);
        if (attempt.ok) {
          return {
            detail: `logged in as ${rotation.role} after ${attempts} attempt${attempts === 1 ? '' : 's'}`,
          };
        }
        const waited = ctx.clock.nowMs() - started;
        if (waited + propagationInterval > propagationTimeout) {
          throw new ProdguardError(
            'PRODGUARD_SECRET_ROTATION_FAILED',
            `Logging in as ${rotation.role} with the new password still fails after ${attempts} attempts: ${attempt.message}${attempt.code ? ` (SQLSTATE ${attempt.code})` : ''}`,
            { hint: 'The password may still be propagating; resume later with --resume.' },
          );
        }
        ctx.log.info(`waiting for the new password of ${rotation.role} to work`, {
          attempt: attempts,
          code: attempt.code,
        });
        throwIfAborted(deps.signal);
        await ctx.clock.sleep(propagationInterval, deps.signal).catch((error: unknown) => {
          throwIfAborted(deps.signal);
          throw error;
        });
      }
    },
    watch: async () => {
      // Seed §4 step 8: "Monitor logs for authentication errors" after the password change.
      const roller = ctx.roller;
      if (!roller?.authErrors)
        return { detail: 'skipped: the deploy pipeline reports no authentication errors' };
      const since = ctx.clock.now().toISOString();
      const { authWatch, propagationInterval } = ctx.config.secrets;
      const started = ctx.clock.nowMs();
      for (;;) {
        const errors = await roller.authErrors(rotation.environment, since);
        if (errors > 0) {
          throw new ProdguardError(
            'PRODGUARD_SECRET_ROTATION_FAILED',
            `${errors} authentication error${errors === 1 ? '' : 's'} in ${rotation.environment} since the password of ${rotation.role} changed: some revision still uses the old password.`,
            {
              hint: `Roll the environment out again so every revision runs v${rotation.toVersion}, then resume to watch again.`,
            },
          );
        }
        if (ctx.clock.nowMs() - started >= authWatch) break;
        throwIfAborted(deps.signal);
        await ctx.clock.sleep(Math.min(propagationInterval, authWatch), deps.signal);
      }
      return { detail: `no authentication errors for ${formatDuration(authWatch)}` };
    },
    'add-version': async () => {
      // Idempotent: a crash between adding the version and journaling it must not add a second one.
      const existing = (await ctx.vault.listVersions(ref)).find((v) => v.metadata.rotation === rotation.id);
      if (existing) return { toVersion: existing.version, detail: `v${existing.version} (already added)` };
      const version = await ctx.vault.addVersion(ref, await newValue(), {
        actor: ctx.actor,
        kind: rotation.kind,
        metadata: { ...(rotation.role ? { role: rotation.role } : {}), rotation: rotation.id },
      });
      ctx.audit.append({
        actor: ctx.actor,
        environment: ref.environment,
        action: 'secrets.add',
        target: `${ref.name} v${version.version}`,
        outcome: 'success',
        details: { name: ref.name, version: version.version, kind: rotation.kind, rotation: rotation.id },
      });
      return { toVersion: version.version, detail: `v${version.version}` };
    },
    pin: async () => {
      ctx.pins.set(ref, rotation.toVersion!, ctx.actor);
      ctx.audit.append({
        actor: ctx.actor,
        environment: ref.environment,
        action: 'secrets.pin',
        target: `${ref.name} v${rotation.toVersion}`,
        reason: `rotation ${rotation.id}`,
        outcome: 'success',
        details: { name: ref.name, version: rotation.toVersion, previousVersion: rotation.fromVersion },
      });
      return { detail: `pinned v${rotation.toVersion} (was v${rotation.fromVersion})` };
    },
    rollout: async () => {
      if (!ctx.roller)
        return {
          detail: `skipped: no deploy pipeline connected; revisions start with v${rotation.toVersion} at the next deploy`,
        };
      const result = await ctx.roller.rollout(ref.environment, ctx.pins.forEnvironment(ref.environment), {
        operationId: rotation.id,
      });
      if (!result.ok) throw new RolloutFailed(result.error ?? 'the rollout failed');
      if (result.skipped) {
        if (result.previousRetired) ctx.pins.clearPrevious(ref);
        return {
          detail: `skipped: ${result.skipped}; revisions start with v${rotation.toVersion} at the next deploy`,
        };
      }
      // The deploy pipeline retired the revisions that used the previous version.
      ctx.pins.clearPrevious(ref);
      return {
        detail: `revision ${result.revision ?? '(unnamed)'} serves v${rotation.toVersion}`,
        ...(result.revision ? { revision: result.revision } : {}),
      };
    },
  };

  for (const step of names) {
    if (runner.isDone(step)) continue;
    try {
      await runner.step(
        step,
        async () => {
          throwIfAborted(deps.signal);
          await deps.hooks?.beforeStep?.(step, rotation);
          return actions[step]();
        },
        (d) => d.detail,
      );
      rotation = journal.get(rotation.id)!;
      await deps.hooks?.afterStep?.(step, rotation);
    } catch (error) {
      const known = [...ctx.knownSecrets];
      const message = redactText(error instanceof Error ? error.message : String(error), known);
      if (error instanceof RolloutFailed)
        return compensateRollout(ctx, journal, op, results(), notes, evaluation, message);
      // Not a failure of the rotation: it stays running, resumable from this step.
      return {
        outcome: 'interrupted',
        rotation: journal.get(rotation.id)!,
        steps: results(),
        notes,
        ...(evaluation ? { evaluation } : {}),
        error: {
          code: error instanceof ProdguardError ? error.code : 'PRODGUARD_SECRET_ROTATION_FAILED',
          message: `Step "${step}" of rotation ${rotation.id} failed: ${message}`,
          hint: `Resume: prodguard resume ${rotation.id} (or undo it: prodguard abort ${rotation.id}).`,
        },
      };
    }
  }
  journal.erasePendingValue(op.id);
  rotation = journal.get(rotation.id)!;
  journal.ops.finish(op, 'succeeded', {
    message: `${ref.name} rotated to v${rotation.toVersion}`,
    audit: {
      target: ref.name,
      details: {
        strategy: rotation.strategy,
        fromVersion: rotation.fromVersion,
        toVersion: rotation.toVersion,
        role: rotation.role,
        revision: rotation.revision,
      },
    },
  });
  return {
    outcome: 'succeeded',
    rotation: journal.get(rotation.id)!,
    steps: results(),
    notes,
    ...(evaluation ? { evaluation } : {}),
  };
}

/** The rollout failed: traffic stayed on revisions with the previous version, which still works; re-pin it. */
function compensateRollout(
  ctx: SecretsContext,
  journal: RotationJournal,
  op: OperationRecord<'secrets-rotation'>,
  steps: StepResult[],
  notes: string[],
  evaluation: RuleEvaluation | undefined,
  message: string,
): RotateSecretResult {
  const rotation = journal.get(op.id)!;
  const ref = { name: rotation.name, environment: rotation.environment };
  if (rotation.fromVersion !== null) ctx.pins.set(ref, rotation.fromVersion, ctx.actor);
  journal.erasePendingValue(op.id);
  journal.ops.finish(op, 'rolled-back', {
    message: `rollout of ${ref.name} v${rotation.toVersion} failed; v${rotation.fromVersion} pinned again`,
    error: message,
    audit: { target: ref.name, details: { repinned: rotation.fromVersion } },
  });
  return {
    outcome: 'rolled-back',
    rotation: journal.get(op.id)!,
    steps,
    notes,
    ...(evaluation ? { evaluation } : {}),
    error: {
      code: 'PRODGUARD_SECRET_ROLLOUT_FAILED',
      message: `The rollout of ${ref.name} v${rotation.toVersion} failed (${message}); v${rotation.fromVersion} is pinned again and still works.`,
      hint: `Fix the deploy problem, then rotate again: prodguard secrets rotate ${ref.name} --env ${ref.environment}`,
    },
  };
}

/**
 * Abandons an interrupted rotation so the world is consistent again: an unfinished child rollout is undone
 * first (traffic back on the revisions it found), then the pin follows what the serving revisions really
 * run. A rotation whose rollout had already finished keeps its new pin, since traffic runs it.
 */
export async function abortRotation(
  ctx: SecretsContext,
  input: { name: string; environment: string } | { operationId: string },
  deps: Pick<RotateSecretDeps, 'key' | 'lockWaitMs'>,
): Promise<RotationRecord & { message: string }> {
  const journal = new RotationJournal(
    ctx.ops ?? new OperationStore(ctx.store, ctx.clock, ctx.audit),
    deps.key,
  );
  const found =
    'operationId' in input ? journal.get(input.operationId) : journal.running(input.name, input.environment);
  if (found?.status !== 'running') {
    throw new ProdguardError(
      'PRODGUARD_SECRET_ROTATION_NOT_FOUND',
      'operationId' in input
        ? `No interrupted rotation ${input.operationId}.`
        : `No interrupted rotation of ${input.name} in ${input.environment}.`,
      { kind: 'usage', hint: 'prodguard operations lists interrupted operations.' },
    );
  }
  assertEnvironment(ctx.config, found.environment);
  return withEnvironmentLock(
    ctx.store,
    {
      environment: found.environment,
      operation: `abort rotation ${found.id}`,
      owner: ctx.actor,
      clock: ctx.clock,
      waitMs: deps.lockWaitMs ?? 0,
    },
    async () => {
      const op = journal.operation(found.id)!;
      const ref = { name: found.name, environment: found.environment };
      const notes: string[] = [];
      let serving: RunningRevision[] | undefined;
      if (ctx.roller) {
        const undone = await ctx.roller.abortRollout(ref.environment, { operationId: op.id });
        notes.push(undone.message);
        serving = undone.serving;
      }
      // The pin must match what serves: the versions the revisions receiving traffic were started with.
      serving ??= ctx.running ? await ctx.running.list(ref.environment) : undefined;
      const held = new Set(
        (serving ?? []).map((r) => r.secretVersions[ref.name]).filter((v): v is number => v !== undefined),
      );
      const rotation = journal.get(op.id)!;
      const pin = ctx.pins.get(ref);
      const passwordMoved =
        rotation.strategy === 'single-user' && ['set', 'test', 'watch'].includes(rotation.step);
      let repin: number | null = null;
      if (
        !passwordMoved &&
        rotation.toVersion !== null &&
        rotation.fromVersion !== null &&
        pin?.version === rotation.toVersion &&
        !held.has(rotation.toVersion)
      ) {
        ctx.pins.set(ref, rotation.fromVersion, ctx.actor);
        repin = rotation.fromVersion;
      }
      journal.erasePendingValue(op.id);
      const message = `Rotation ${op.id} aborted after step "${rotation.step}"${repin !== null ? `; v${repin} pinned again` : pin ? `; v${pin.version} stays pinned` : ''}${notes.length ? `; ${notes.map((n) => n.replace(/\.$/, '')).join('; ')}` : ''}.`;
      journal.ops.finish(op, 'aborted', {
        message,
        error: 'aborted by the operator',
        audit: { target: ref.name, details: { afterStep: rotation.step, repinned: repin } },
      });
      return { ...journal.get(op.id)!, message };
    },
  );
}
