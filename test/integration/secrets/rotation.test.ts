import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { insertFreeze } from '../../../src/freeze/index.js';
import type { ManualClock } from '../../../src/kernel/clock.js';
import {
  addSecretVersion,
  pgRoleAdmin,
  type RotationStepName,
  resolveSecretEnv,
  rotateSecret,
  rotationFreezeChecks,
  rotationSteps,
  setupRoles,
} from '../../../src/secrets/index.js';
import {
  createSecretsHarness,
  loginCode,
  PoolRoller,
  passwordOf,
  type SecretsHarness,
} from './secrets-harness.js';

const ENV = 'staging';
const NAME = 'DATABASE_URL';

async function prepare(h: SecretsHarness): Promise<PoolRoller> {
  await addSecretVersion(h.ctx, {
    name: `${NAME}_ADMIN`,
    environment: ENV,
    kind: 'external',
    value: h.adminUrl,
  });
  const setup = await setupRoles(h.ctx, { name: NAME, environment: ENV }, { postgres: pgRoleAdmin });
  expect(setup.addedVersion).toBe(1);
  const roller = new PoolRoller(h.ctx.vault, ENV);
  h.ctx.roller = roller;
  h.ctx.running = roller;
  await roller.start(h.ctx.pins.forEnvironment(ENV));
  return roller;
}

async function allVersionValues(h: SecretsHarness): Promise<string[]> {
  const values: string[] = [];
  for (const v of await h.ctx.vault.listVersions({ name: NAME, environment: ENV })) {
    if (v.state === 'enabled')
      values.push(await h.ctx.vault.accessVersion({ name: NAME, environment: ENV }, v.version));
  }
  return values;
}

/** Every place a value could leak to: audit events, the journal, the log lines. */
function leakSurfaces(h: SecretsHarness): string {
  return [
    JSON.stringify(h.audit.list()),
    JSON.stringify(h.store.db.prepare('SELECT id, error, params, state FROM operations').all()),
    JSON.stringify(h.store.db.prepare('SELECT * FROM operation_steps').all()),
    h.logs.join(''),
  ].join('\n');
}

describe('alternating-users rotation on real PostgreSQL (scram-sha-256)', () => {
  let h: SecretsHarness;
  let roller: PoolRoller;
  beforeEach(async () => {
    h = await createSecretsHarness();
    roller = await prepare(h);
  });
  afterEach(async () => {
    await roller.close();
    await h.close();
  });

  it('rotates twice with zero failed logins: the serving role keeps working while the standby changes', async () => {
    expect((await roller.query()).rows[0].u).toBe(h.group); // members log in and act as the group role
    await roller.query('CREATE TABLE resumes (id serial PRIMARY KEY, title text)');
    const v1 = await h.ctx.vault.accessVersion({ name: NAME, environment: ENV }, 1);
    const seen: string[] = [];
    const first = await rotateSecret(
      h.ctx,
      { name: NAME, environment: ENV },
      h.deps({
        hooks: {
          // After each step a brand-new connection with the serving credentials must still log in.
          afterStep: async (step) => {
            seen.push(`${step}:${await loginCode(v1)}`);
          },
        },
      }),
    );
    expect(first.outcome).toBe('succeeded');
    expect(first.steps.map((s) => `${s.name}:${s.status}`)).toEqual(
      rotationSteps('alternating').map((s) => `${s}:Success`),
    );
    expect(seen).toEqual(['create:ok', 'set:ok', 'test:ok', 'add-version:ok', 'pin:ok', 'rollout:ok']);
    expect(first.rotation).toMatchObject({
      fromVersion: 1,
      toVersion: 2,
      role: `${h.group}_b`,
      status: 'succeeded',
    });
    expect(h.ctx.pins.get({ name: NAME, environment: ENV })?.version).toBe(2);
    // the new revision logs in as _b and uses the table _a created (owned by the group)
    await roller.query("INSERT INTO resumes(title) VALUES ('after rotation')");
    expect((await roller.query('SELECT count(*)::int AS n FROM resumes')).rows[0].n).toBe(1);

    const second = await rotateSecret(h.ctx, { name: NAME, environment: ENV }, h.deps());
    expect(second.outcome).toBe('succeeded');
    expect(second.rotation).toMatchObject({ fromVersion: 2, toVersion: 3, role: `${h.group}_a` });
    // v1's password for _a was replaced by v3's; v2 (the previous) still works for a rollback
    const v2 = await h.ctx.vault.accessVersion({ name: NAME, environment: ENV }, 2);
    const v3 = await h.ctx.vault.accessVersion({ name: NAME, environment: ENV }, 3);
    expect([await loginCode(v1), await loginCode(v2), await loginCode(v3)]).toEqual(['28P01', 'ok', 'ok']);
    expect((await roller.query('SELECT count(*)::int AS n FROM resumes')).rows[0].n).toBe(1);

    const surfaces = leakSurfaces(h);
    for (const value of [...(await allVersionValues(h)), h.adminUrl]) {
      expect(surfaces).not.toContain(passwordOf(value));
    }
    const events = h.audit.list().map((e) => `${e.action}:${e.outcome}`);
    expect(events.filter((e) => e === 'secrets.rotate:success')).toHaveLength(2);
  });

  it.each(rotationSteps('alternating').map((s) => [s]))(
    'a crash during step %s leaves a resumable journal; --resume finishes with exactly one new version',
    async (crashAt) => {
      const crash = async (step: RotationStepName) => {
        if (step === crashAt) throw new Error(`simulated crash in ${step}`);
      };
      const interrupted = await rotateSecret(
        h.ctx,
        { name: NAME, environment: ENV },
        h.deps({ hooks: { beforeStep: crash } }),
      );
      expect(interrupted.outcome).toBe('interrupted');
      expect(interrupted.error?.hint).toContain(`prodguard resume ${interrupted.rotation.id}`);
      expect(interrupted.steps.find((s) => s.name === crashAt)?.status).toBe('Error');
      // the app keeps working with v1 whatever step died
      expect((await roller.query()).rowCount).toBe(1);
      await expect(rotateSecret(h.ctx, { name: NAME, environment: ENV }, h.deps())).rejects.toMatchObject({
        code: 'PRODGUARD_SECRET_ROTATION_RUNNING',
      });
      const resumed = await rotateSecret(h.ctx, { name: NAME, environment: ENV, resume: true }, h.deps());
      expect(resumed.outcome).toBe('succeeded');
      expect(resumed.rotation.id).toBe(interrupted.rotation.id);
      const done = resumed.steps.filter((s) => s.status === 'Skipped').map((s) => s.name);
      expect(done).toEqual(
        rotationSteps('alternating').slice(0, rotationSteps('alternating').indexOf(crashAt)),
      );
      const versions = await h.ctx.vault.listVersions({ name: NAME, environment: ENV });
      expect(versions.map((v) => v.version)).toEqual([1, 2]);
      expect(h.ctx.pins.get({ name: NAME, environment: ENV })?.version).toBe(2);
      expect((await roller.query()).rowCount).toBe(1);
      expect(roller.revisions.map((r) => r.pins[NAME])).toEqual([2]);
    },
  );

  it('Ctrl-C stops the rotation between steps and leaves it resumable', async () => {
    const controller = new AbortController();
    const interrupted = await rotateSecret(
      h.ctx,
      { name: NAME, environment: ENV },
      h.deps({
        signal: controller.signal,
        hooks: { afterStep: (step) => (step === 'set' ? controller.abort() : undefined) },
      }),
    );
    expect(interrupted.outcome).toBe('interrupted');
    expect(interrupted.steps.map((s) => s.status)).toEqual([
      'Success',
      'Success',
      'Error',
      'NotExecuted',
      'NotExecuted',
      'NotExecuted',
    ]);
    expect(interrupted.error?.message).toContain('interrupted by the operator');
    const resumed = await rotateSecret(h.ctx, { name: NAME, environment: ENV, resume: true }, h.deps());
    expect(resumed.outcome).toBe('succeeded');
  });

  it('refuses rotation N+1 while a running revision still uses version N-1', async () => {
    expect((await rotateSecret(h.ctx, { name: NAME, environment: ENV }, h.deps())).outcome).toBe('succeeded');
    // a revision with v1 is still running (e.g. traffic split or a drained revision not yet stopped)
    await roller.start({ [NAME]: 1 }).catch(() => undefined);
    // v1's role _a still has its v1 password, so that revision works; rotating would change it
    await h.ctx.pins.set({ name: NAME, environment: ENV }, 2, 'x');
    const before = h.store.db.prepare('SELECT count(*) AS n FROM operations').get();
    await expect(rotateSecret(h.ctx, { name: NAME, environment: ENV }, h.deps())).rejects.toMatchObject({
      code: 'PRODGUARD_SECRET_ROTATION_REFUSED',
      message: expect.stringContaining(`v1 (role ${h.group}_a) is still used by a running revision`),
    });
    expect(h.store.db.prepare('SELECT count(*) AS n FROM operations').get()).toEqual(before);
    expect(h.audit.list().at(-1)).toMatchObject({ action: 'secrets.rotate', outcome: 'refused' });
  });

  it('a failed rollout re-pins the previous version, which still works', async () => {
    roller.failNextRollout = 'health check failed: GET /health answered 503';
    const result = await rotateSecret(h.ctx, { name: NAME, environment: ENV }, h.deps());
    expect(result.outcome).toBe('rolled-back');
    expect(result.error?.code).toBe('PRODGUARD_SECRET_ROLLOUT_FAILED');
    expect(h.ctx.pins.get({ name: NAME, environment: ENV })?.version).toBe(1);
    expect(roller.revisions.map((r) => r.pins[NAME])).toEqual([1]);
    expect((await roller.query()).rowCount).toBe(1);
    // rotating again targets the same standby role (nobody uses it) and succeeds
    const retry = await rotateSecret(h.ctx, { name: NAME, environment: ENV }, h.deps());
    expect(retry.rotation).toMatchObject({ role: `${h.group}_b`, toVersion: 3 });
    expect(retry.outcome).toBe('succeeded');
  });

  it('waits for a password that has not propagated yet, then gives up after the timeout without leaking it', async () => {
    const standby = `${h.group}_b`;
    const admin = new pg.Client({ connectionString: h.adminUrl });
    await admin.connect();
    // After "set", overwrite the standby password: logins fail with 28P01 as during Cloud SQL propagation.
    const scramble = async (step: RotationStepName) => {
      if (step === 'test') await admin.query(`ALTER ROLE ${standby} PASSWORD 'not-yet-propagated'`);
    };
    let sleeps = 0;
    const clock = h.clock as ManualClock & { sleep(ms: number): Promise<void> };
    const realSleep = clock.sleep.bind(clock);
    clock.sleep = async (ms: number) => {
      sleeps++;
      await realSleep(ms);
    };
    try {
      const timedOut = await rotateSecret(
        h.ctx,
        { name: NAME, environment: ENV },
        h.deps({ hooks: { beforeStep: scramble } }),
      );
      expect(timedOut.outcome).toBe('interrupted');
      expect(timedOut.error?.message).toMatch(/still fails after 13 attempts: .*28P01/);
      expect(sleeps).toBe(12);
      const pending = h.store.db
        .prepare<[], { id: string }>(
          "SELECT id FROM operations WHERE kind = 'secrets-rotation' AND status = 'running'",
        )
        .get()!;
      const surfaces = leakSurfaces(h);
      expect(surfaces).not.toContain('not-yet-propagated');
      // "Propagation" completes on the third wait of the resumed run.
      let waits = 0;
      clock.sleep = async (ms: number) => {
        waits++;
        if (waits === 3)
          await pgRoleAdmin.setPassword(h.adminUrl, standby, (await pendingPassword(h, pending.id))!);
        await realSleep(ms);
      };
      await admin.query(`ALTER ROLE ${standby} PASSWORD 'still-not-propagated'`);
      const resumed = await rotateSecret(h.ctx, { name: NAME, environment: ENV, resume: true }, h.deps());
      expect(resumed.outcome).toBe('succeeded');
      expect(resumed.steps.find((s) => s.name === 'test')?.detail).toBe(
        `logged in as ${standby} after 4 attempts`,
      );
    } finally {
      clock.sleep = realSleep;
      await admin.end();
    }
  });

  it('production requires a recent successful rotation on staging; freezes refuse unless overridden (audited)', async () => {
    // production gets its own admin secret and pinned v1 (same database here)
    const prodRef = { name: NAME, environment: 'production' };
    await addSecretVersion(h.ctx, {
      name: `${NAME}_ADMIN`,
      environment: 'production',
      kind: 'external',
      value: h.adminUrl,
    });
    await addSecretVersion(h.ctx, {
      name: NAME,
      environment: 'production',
      kind: 'postgres',
      value: await h.ctx.vault.accessVersion({ name: NAME, environment: ENV }, 1),
    });
    h.ctx.roller = undefined;
    h.ctx.running = undefined;
    await expect(rotateSecret(h.ctx, { ...prodRef }, h.deps())).rejects.toMatchObject({
      code: 'PRODGUARD_SECRET_ROTATION_REFUSED',
      message: expect.stringContaining(
        'staging-first: DATABASE_URL was never rotated successfully on staging',
      ),
    });
    h.ctx.roller = roller;
    h.ctx.running = roller;
    expect((await rotateSecret(h.ctx, { name: NAME, environment: ENV }, h.deps())).outcome).toBe('succeeded');
    h.ctx.roller = undefined;
    h.ctx.running = undefined;
    insertFreeze(h.store, {
      environment: 'production',
      reason: 'incident review',
      actor: 'lead@x',
      at: h.clock.now(),
      until: null,
    });
    const checks = rotationFreezeChecks(h.config, h.store);
    await expect(rotateSecret(h.ctx, { ...prodRef }, h.deps({ checks }))).rejects.toMatchObject({
      message: expect.stringContaining('deploy-freeze: frozen: incident review'),
    });
    const overridden = await rotateSecret(
      h.ctx,
      { ...prodRef, overrides: [{ ruleId: 'deploy-freeze', reason: 'leaked password, rotate now' }] },
      h.deps({ checks }),
    );
    expect(overridden.outcome).toBe('succeeded');
    expect(overridden.steps.find((s) => s.name === 'rollout')?.detail).toMatch(
      /skipped: no deploy pipeline connected/,
    );
    expect(
      h.audit.list().some((e) => e.outcome === 'overridden' && e.reason === 'leaked password, rotate now'),
    ).toBe(true);
    // staging rotated 31 days ago: too old for the next production rotation (default 30d)
    h.clock.advance(31 * 86_400_000);
    await expect(rotateSecret(h.ctx, { ...prodRef, previousRetired: true }, h.deps())).rejects.toMatchObject({
      message: expect.stringContaining('is older than 30d'),
    });
  });
});

async function pendingPassword(h: SecretsHarness, id: string): Promise<string | undefined> {
  const { RotationJournal } = await import('../../../src/secrets/index.js');
  const { OperationStore } = await import('../../../src/operations/index.js');
  return new RotationJournal(new OperationStore(h.store, h.clock, h.ctx.audit), h.key).pendingValue(id);
}

describe('other strategies', () => {
  let h: SecretsHarness;
  beforeEach(async () => {
    h = await createSecretsHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('single-user (seed protocol): new version, roll out, then ALTER ROLE; the new revision fails until the password changes', async () => {
    const user = `${h.group}_a`;
    await addSecretVersion(h.ctx, {
      name: `${NAME}_ADMIN`,
      environment: ENV,
      kind: 'external',
      value: h.adminUrl,
    });
    await setupRoles(h.ctx, { name: NAME, environment: ENV }, { postgres: pgRoleAdmin });
    const roller = new PoolRoller(h.ctx.vault, ENV);
    roller.healthQuery = false; // an app whose pool connects lazily passes its health check
    roller.now = () => h.clock.now().toISOString();
    h.ctx.roller = roller;
    h.ctx.running = roller;
    await roller.start(h.ctx.pins.forEnvironment(ENV));
    const codes: Record<string, string> = {};
    const result = await rotateSecret(
      h.ctx,
      { name: NAME, environment: ENV, strategy: 'single-user' },
      h.deps({
        hooks: {
          afterStep: async (step) => {
            if (step === 'rollout' || step === 'test') {
              codes[step] = await roller.query().then(
                () => 'ok',
                (e: { code?: string }) => e.code ?? 'error',
              );
            }
          },
        },
      }),
    );
    expect(result.outcome).toBe('succeeded');
    expect(result.steps.map((s) => s.name)).toEqual([
      'create',
      'add-version',
      'pin',
      'rollout',
      'set',
      'test',
      'watch',
    ]);
    expect(result.steps.at(-1)?.detail).toBe('no authentication errors for 30s');
    expect(result.rotation.role).toBe(user);
    // the outage window of the seed protocol, measured: between rollout and ALTER ROLE the new revision cannot log in
    expect(codes).toEqual({ rollout: '28P01', test: 'ok' });
    await roller.close();
  });

  it('single-user: the authentication-error watch catches a revision still running with the old password', async () => {
    await addSecretVersion(h.ctx, {
      name: `${NAME}_ADMIN`,
      environment: ENV,
      kind: 'external',
      value: h.adminUrl,
    });
    await setupRoles(h.ctx, { name: NAME, environment: ENV }, { postgres: pgRoleAdmin });
    const roller = new PoolRoller(h.ctx.vault, ENV);
    roller.healthQuery = false;
    roller.now = () => h.clock.now().toISOString();
    h.ctx.roller = roller;
    h.ctx.running = roller;
    await roller.start(h.ctx.pins.forEnvironment(ENV));
    // A revision the rollout did not replace (another region, a stuck instance) keeps v1.
    const straggler = async (step: RotationStepName) => {
      if (step === 'rollout') await roller.start({ [NAME]: 1 });
    };
    const result = await rotateSecret(
      h.ctx,
      { name: NAME, environment: ENV, strategy: 'single-user' },
      h.deps({ hooks: { afterStep: straggler } }),
    );
    expect(result.outcome).toBe('interrupted');
    expect(result.steps.at(-1)).toMatchObject({ name: 'watch', status: 'Error' });
    expect(result.error?.message).toMatch(
      /1 authentication error in staging since the password of \w+_a changed/,
    );
    await roller.close();
  });

  it('a postgres secret must be a connection URL with a user (the role is recorded, never the password)', async () => {
    await expect(
      addSecretVersion(h.ctx, { name: NAME, environment: ENV, kind: 'postgres', value: 'hunter2-not-a-url' }),
    ).rejects.toMatchObject({
      code: 'PRODGUARD_SECRET_VALUE_INVALID',
      message: expect.not.stringContaining('hunter2'),
    });
  });

  it('random secrets rotate with overlap: the platform delivers JWT_SECRET and JWT_SECRET_PREVIOUS', async () => {
    await addSecretVersion(h.ctx, {
      name: 'JWT_SECRET',
      environment: ENV,
      kind: 'random',
      value: 'first-signing-key-0123456789',
    });
    const result = await rotateSecret(h.ctx, { name: 'JWT_SECRET', environment: ENV }, h.deps());
    expect(result.outcome).toBe('succeeded');
    expect(result.steps.map((s) => s.name)).toEqual(['create', 'add-version', 'pin', 'rollout']);
    const env = await resolveSecretEnv(h.ctx.vault, ENV, h.ctx.pins.forEnvironment(ENV));
    expect(env.JWT_SECRET_PREVIOUS).toBe('first-signing-key-0123456789');
    expect(env.JWT_SECRET).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect(JSON.stringify(h.audit.list())).not.toContain(env.JWT_SECRET);
  });
});
