import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../src/kernel/free-port.js';
import type { ProcessResult } from '../../../src/kernel/process-runner.js';
import { runProdguard } from '../../helpers/cli.js';
import { createTempRepo, type TempRepo } from '../../helpers/git-repo.js';
import { APP_FILES } from '../deploy/deploy-fixture.js';

// Every operation kind on the local platform, killed with SIGKILL by the real CLI at each journaled step
// (PRODGUARD_FAILPOINTS), then resumed or aborted. After each: nothing is left running, traffic is on ready
// revisions that answer, and the pinned secret versions are the ones the serving revisions run with.

interface OperationRow {
  id: string;
  kind: string;
  status: string;
  parentId?: string;
}

interface RevisionRow {
  name: string;
  state: string;
  percent: number;
  secretVersions: Record<string, number>;
}

describe('a SIGKILL at any step of any operation on the platform, then resume or abort', () => {
  let repo: TempRepo;
  let router: number;
  let releases = 0;
  const env = {
    PRODGUARD_ACTOR: 'crash@example.com',
    PRODGUARD_MASTER_KEY: randomBytes(32).toString('base64'),
  };
  const cli = (args: string[], extra: NodeJS.ProcessEnv = {}, input?: string): Promise<ProcessResult> =>
    runProdguard(args, {
      cwd: repo.dir,
      env: { ...env, ...extra },
      timeoutMs: 120_000,
      ...(input !== undefined ? { input } : {}),
    });

  async function crash(args: string[], point: string): Promise<void> {
    const killed = await cli(args, { PRODGUARD_FAILPOINTS: point });
    expect(
      killed.signal,
      `${args.join(' ')} should die at ${point}:\n${killed.stdout}\n${killed.stderr}`,
    ).toBe('SIGKILL');
  }

  async function operations(): Promise<OperationRow[]> {
    const listed = await cli(['operations', '--json', '--limit', '200']);
    expect(listed.exitCode, listed.stderr).toBe(0);
    return (JSON.parse(listed.stdout) as { operations: OperationRow[] }).operations;
  }

  async function revisions(): Promise<{
    traffic: { revision: string; percent: number }[];
    revisions: RevisionRow[];
    maintenance?: unknown;
  }> {
    const status = await cli(['status', 'production', '--json']);
    expect(status.exitCode, status.stderr).toBe(0);
    return (JSON.parse(status.stdout) as { services: never[] }).services[0]!;
  }

  async function pinned(): Promise<number | null> {
    const status = await cli(['secrets', 'status', '--env', 'production', '--json']);
    expect(status.exitCode, status.stderr).toBe(0);
    const rows = (JSON.parse(status.stdout) as { secrets: { name: string; pinnedVersion: number | null }[] })
      .secrets;
    return rows.find((r) => r.name === 'JWT_SECRET')?.pinnedVersion ?? null;
  }

  /** The invariant every kind must leave behind, whatever step died and whichever way out was taken. */
  async function assertConsistent(label: string): Promise<void> {
    const running = (await operations()).filter((o) => o.status === 'running' || o.status === 'interrupted');
    expect(running, `${label}: nothing left running`).toEqual([]);
    const service = await revisions();
    if (!service.maintenance) {
      expect(service.traffic.length, `${label}: traffic somewhere`).toBeGreaterThan(0);
      for (const target of service.traffic) {
        const revision = service.revisions.find((r) => r.name === target.revision);
        expect(revision?.state, `${label}: ${target.revision} serves, so it is ready`).toBe('ready');
        expect(
          revision?.secretVersions.JWT_SECRET,
          `${label}: ${target.revision} runs the pinned version`,
        ).toBe(await pinned());
      }
      const response = await fetch(`http://127.0.0.1:${router}/`);
      expect(response.status, `${label}: the environment answers`).toBe(200);
      await response.arrayBuffer();
    }
  }

  async function recover(point: string, way: 'resume' | 'abort'): Promise<void> {
    const listed = await operations();
    const interrupted = listed.filter((o) => o.status === 'interrupted' && !o.parentId);
    expect(
      interrupted.map((o) => o.status),
      `${point}: one interrupted operation`,
    ).toEqual(['interrupted']);
    const out = await cli([way, interrupted[0]!.id]);
    expect([0, 3], `${way} after ${point}:\n${out.stdout}\n${out.stderr}`).toContain(out.exitCode);
    const after = (await operations()).find((o) => o.id === interrupted[0]!.id);
    expect(after?.status, `${way} after ${point} ends it:\n${out.stdout}\n${out.stderr}`).not.toMatch(
      /running|interrupted/,
    );
  }

  async function release(): Promise<void> {
    releases++;
    repo.write('behavior.json', `${JSON.stringify({ version: `v${releases}` })}\n`);
    await repo.commitAll(`v${releases}`);
  }

  beforeAll(async () => {
    const agentPort = await freePort();
    router = await freePort();
    repo = await createTempRepo({
      ...APP_FILES,
      'behavior.json': '{ "version": "v0" }\n',
      'prodguard.yaml': `version: 1
project:
  name: crash-app
timezone: UTC
watch: 1s
freeze:
  weekdays: []
tests:
  command: node --check server.mjs
rules:
  coverage-minimums: { severity: off }
  change-documented: { severity: off }
  up-to-date: { severity: off }
secrets:
  destroyGracePeriod: 1s
app:
  start: node server.mjs
  healthPath: /health
  startupTimeout: 5s
  drainTimeout: 1s
  stopGrace: 1s
  agentPort: ${agentPort}
deploy:
  strategy: all-at-once
  analysis:
    interval: 200ms
    window: 1s
    holdTimeout: 2s
environments:
  production:
    protected: true
    platform:
      port: ${router}
`,
    });
    expect((await cli(['up', '--detach'])).exitCode).toBe(0);
    const added = await cli(
      ['secrets', 'add', 'JWT_SECRET', '--env', 'production', '--kind', 'random'],
      {},
      'first-jwt-key-0123456789abcdef',
    );
    expect(added.exitCode, added.stderr).toBe(0);
    const first = await cli(['deploy', 'production']);
    expect(first.exitCode, `${first.stdout}\n${first.stderr}`).toBe(0);
    await assertConsistent('first deploy');
  }, 180_000);
  afterAll(async () => {
    if (!repo) return;
    await cli(['down']);
    repo.cleanup();
  });

  const DEPLOY_POINTS = [
    'deploy:begin:started',
    'deploy:create-revision:started',
    'deploy:create-revision:succeeded',
    'deploy:wait-ready:succeeded',
    'deploy:smoke:succeeded',
    'deploy:traffic-100:started',
    'deploy:traffic-100:succeeded',
    'deploy:watch:succeeded',
    'deploy:verify:succeeded',
    'deploy:retire:started',
  ];
  it.each(DEPLOY_POINTS.map((p, i) => [p, i % 2 === 0 ? 'resume' : 'abort'] as const))(
    'deploy killed at %s, then %s',
    async (point, way) => {
      await release();
      await crash(['deploy', 'production'], point);
      await recover(point, way);
      await assertConsistent(`deploy ${point} → ${way}`);
    },
    120_000,
  );

  const ROLLBACK_POINTS = [
    'rollback:start-target:succeeded',
    'rollback:wait-ready:succeeded',
    'rollback:switch:started',
  ];
  it.each(ROLLBACK_POINTS.map((p, i) => [p, i % 2 === 0 ? 'resume' : 'abort'] as const))(
    'rollback killed at %s, then %s',
    async (point, way) => {
      // A fresh known-good release, so the one before it waits as the rollback target.
      await release();
      const deployed = await cli(['deploy', 'production']);
      expect(deployed.exitCode, `${deployed.stdout}\n${deployed.stderr}`).toBe(0);
      await crash(['rollback', 'production'], point);
      await recover(point, way);
      await assertConsistent(`rollback ${point} → ${way}`);
    },
    120_000,
  );

  it.each([
    ['maintenance:set-maintenance:started', 'abort', false],
    ['maintenance:set-maintenance:succeeded', 'resume', true],
  ] as const)(
    'maintenance on killed at %s, then %s',
    async (point, way, on) => {
      await crash(['maintenance', 'on', 'production'], point);
      await recover(point, way);
      expect(Boolean((await revisions()).maintenance)).toBe(on);
      if (on) expect((await cli(['maintenance', 'off', 'production'])).exitCode).toBe(0);
      await assertConsistent(`maintenance ${point} → ${way}`);
    },
    120_000,
  );

  const ROTATION_POINTS = [
    'secrets-rotation:begin:started',
    'secrets-rotation:create:succeeded',
    'secrets-rotation:add-version:succeeded',
    'secrets-rotation:pin:succeeded',
    'secrets-rotation:rollout:started',
    // the rollout is a child deploy of the rotation
    'deploy:create-revision:succeeded',
    'deploy:traffic-100:succeeded',
    'deploy:watch:started',
    'secrets-rotation:rollout:succeeded',
  ];
  // Each iteration starts a fresh rotation: what the previous crash left must not block it.
  it.each(ROTATION_POINTS.map((p, i) => [p, i % 2 === 0 ? 'resume' : 'abort'] as const))(
    'rotation killed at %s, then %s',
    async (point, way) => {
      await crash(['secrets', 'rotate', 'JWT_SECRET', '--env', 'production'], point);
      await recover(point, way);
      await assertConsistent(`rotation ${point} → ${way}`);
    },
    120_000,
  );

  it('rotates normally after all of that', async () => {
    const next = await cli(['secrets', 'rotate', 'JWT_SECRET', '--env', 'production']);
    expect(next.exitCode, `${next.stdout}\n${next.stderr}`).toBe(0);
    await assertConsistent('a clean rotation');
  }, 120_000);
});
