import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { nodeProcessRunner } from '../../../src/kernel/process-runner.js';
import { PRODGUARD_BIN, runProdguard } from '../../helpers/cli.js';
import { APP_FILES, appConfig, useAgentProject, withRouterPorts } from './deploy-fixture.js';

// The real CLI from dist/ (build first) against a real agent started with `prodguard up --detach`.
// prodguard.yaml sets deploy.analysis.interval to 1 s (also the default) and `watch: 1s`; everything else is
// the default: 3 breaches in a row, 20 requests minimum, 10 probes per sample, a 2 min hold.
describe('prodguard deploy / rollback / resume / abort / maintenance (real CLI)', () => {
  const project = useAgentProject((ports) => ({
    ...APP_FILES,
    // The project's own test: the only one any test runner should find in its tree after deploys.
    'own.test.mjs': "import { it } from 'vitest';\nit('own', () => {});\n",
    'behavior.json': '{ "version": "v1" }\n',
    // watch: 1s in the config: a shorter --watch on the command line would need --override full-watch.
    'prodguard.yaml': withRouterPorts(
      appConfig(ports.agent, '').replace('watch: 2s', 'watch: 1s'),
      ports,
      `  analysis:
    interval: 1s
`,
    ),
  }));
  const { cli, env } = project;
  let lastExitCode: number | null = null;
  const get = async (env: 'staging' | 'production', path = '/') => {
    const response = await fetch(`http://127.0.0.1:${project.ports[env]}${path}`);
    return { status: response.status, body: await response.text() };
  };
  const artifactsDir = () => loadConfig({ cwd: project.repo.dir }).artifactsDirPath;
  const release = async (version: string) => {
    project.repo.write('behavior.json', `${JSON.stringify({ version })}\n`);
    return project.repo.commitAll(version);
  };

  /** Runs `deploy --json`, and SIGKILLs it as soon as the given step has been journaled as done. */
  async function deployKilledAfter(step: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<string> {
    const child: ChildProcess = spawn(
      process.execPath,
      [PRODGUARD_BIN, 'deploy', 'production', '--strategy', 'all-at-once', '--json'],
      {
        cwd: project.repo.dir,
        env: { ...process.env, ...env, NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let signalled = false;
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${step} in: ${out}`)), 60_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        // Only complete lines: a chunk may end in the middle of an event.
        const done = out
          .split('\n')
          .slice(0, -1)
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { event: string; step?: string })
          .some((e) => e.event === 'step:finished' && e.step === step);
        if (done && !signalled) {
          // Once: a second Ctrl-C means "exit now" to the CLI.
          signalled = true;
          clearTimeout(timer);
          child.kill(signal);
          resolve();
        }
      });
    });
    await exited;
    lastExitCode = child.exitCode;
    const plan = out
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { event: string; operationId?: string })
      .find((e) => e.event === 'deploy:plan');
    return plan!.operationId!;
  }

  it('deploys to staging, refuses an unverified release on production, then promotes the verified one', async () => {
    const staging = await cli('deploy', 'staging', '--strategy', 'all-at-once');
    expect(staging.exitCode, staging.stderr).toBe(0);
    expect(staging.stdout).toMatch(/Deploying [0-9a-f]{12} to staging \(op-[\w-]+\): all at once, watch 1s/);
    expect(staging.stdout).toContain(
      'worst case: a clear failure (e.g. half the requests failing) detected in 1s, rolled back in 3s; just past a threshold: detect 3s, roll back 5s; with too little traffic: detect 121s',
    );
    expect(staging.stdout).toMatch(/insufficient data: sent 10 probes to staging-00001-\w{3} \(0 failed\)/);
    expect(staging.stdout).toMatch(/✓ staging-00001-\w{3} is serving 100 % of staging and is known-good\./);
    expect(await get('staging')).toEqual({ status: 200, body: 'v1\n' });

    const v2 = await release('v2');
    const refused = await cli('deploy', 'production', '--commit', v2);
    expect(refused.exitCode).toBe(1);
    expect(refused.stdout).toMatch(
      /✗ staging-first +commit [0-9a-f]{7} has no verified release on staging \(decided before building\)/,
    );
    // Refused before any build: no artifact of v2 exists.
    expect(existsSync(join(artifactsDir(), v2))).toBe(false);
    expect(refused.stdout).toContain(`prodguard deploy staging --commit ${v2.slice(0, 12)}`);

    // A watch shorter than the configured one cannot verify production without an audited override.
    const hurried = await cli('deploy', 'production', '--commit', 'HEAD~1', '--watch', '0ms');
    expect(hurried.exitCode).toBe(1);
    expect(hurried.stdout).toMatch(/✗ full-watch +--watch 0ms is shorter than the configured watch \(1s\)/);

    const promoted = await cli('deploy', 'production', '--commit', 'HEAD~1');
    expect(promoted.exitCode, promoted.stdout + promoted.stderr).toBe(0);
    expect(promoted.stdout).toMatch(/rollback tag: v\d{8}-\d{4}/);
    expect(await get('production')).toEqual({ status: 200, body: 'v1\n' });
  });

  it('a deploy SIGKILLed after its traffic switch is reported by the next command; abort restores the traffic', async () => {
    expect((await cli('deploy', 'staging', '--strategy', 'all-at-once')).exitCode).toBe(0);
    const opId = await deployKilledAfter('traffic-100');
    expect(await get('production')).toEqual({ status: 200, body: 'v2\n' });
    const blocked = await cli('deploy', 'production');
    expect(blocked.exitCode).toBe(1);
    // The kill lands after traffic-100 was journaled done, and maybe after the watch was journaled started.
    expect(blocked.stderr).toMatch(
      new RegExp(
        `error PRODGUARD_OPERATION_INTERRUPTED: deploy ${opId} on production was interrupted at step "(traffic-100" \\(succeeded|watch" \\(started)\\)`,
      ),
    );
    expect(blocked.stderr).toContain(
      `hint: Continue it: prodguard resume ${opId} · or undo it: prodguard abort ${opId}`,
    );
    const aborted = await cli('abort', 'production');
    expect(aborted.exitCode, aborted.stderr).toBe(0);
    expect(aborted.stdout).toMatch(
      new RegExp(`✓ Aborted deploy ${opId}; traffic restored to production-00001-\\w{3}=100\\.`),
    );
    expect(await get('production')).toEqual({ status: 200, body: 'v1\n' });
  });

  it('a deploy SIGKILLed after creating its revision is finished by resume, without a second revision', async () => {
    const opId = await deployKilledAfter('create-revision');
    const resumed = await cli('resume', 'production', '--json');
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    const result = JSON.parse(resumed.stdout.trim().split('\n').at(-1)!) as {
      operationId: string;
      result: { outcome: string; revision: string; steps: { name: string; status: string }[] };
    };
    expect(result.operationId).toBe(opId);
    expect(result.result.outcome).toBe('success');
    expect(result.result.steps.every((s) => s.status === 'Success')).toBe(true);
    expect(await get('production')).toEqual({ status: 200, body: 'v2\n' });
    const status = await cli('status', 'production', '--json');
    const revisions = (JSON.parse(status.stdout) as { services: { revisions: { name: string }[] }[] })
      .services[0]!.revisions;
    // v1, the aborted v2 revision, and exactly one for the resumed operation.
    expect(revisions.map((r) => r.name).filter((n) => n === result.result.revision)).toHaveLength(1);
  });

  it('rollback and maintenance through the CLI, all audited', async () => {
    const rolled = await cli('rollback', 'production', '--reason', 'customer reports');
    expect(rolled.exitCode, rolled.stderr).toBe(0);
    expect(rolled.stdout).toMatch(/✓ production is serving 100 % from production-00001-\w{3}\./);
    expect(await get('production')).toEqual({ status: 200, body: 'v1\n' });

    const on = await cli(
      'maintenance',
      'on',
      'production',
      '--message',
      'Database upgrade',
      '--until',
      '2030-01-01T12:00:00Z',
    );
    expect(on.exitCode, on.stderr).toBe(0);
    const closed = await get('production');
    expect(closed.status).toBe(503);
    const off = await cli('maintenance', 'off', 'production');
    expect(off.exitCode).toBe(0);
    expect(off.stdout).toMatch(/production is open again: traffic restored to production-00001-\w{3}=100\./);
    expect(await get('production')).toEqual({ status: 200, body: 'v1\n' });

    const audit = await cli('audit', 'log', '--env', 'production', '--json');
    const actions = (
      JSON.parse(audit.stdout) as { events: { action: string; outcome: string; actor: string }[] }
    ).events.map((e) => `${e.action}:${e.outcome}`);
    expect(actions).toEqual(
      expect.arrayContaining([
        'deploy:refused',
        'deploy:success',
        'deploy:rolled-back',
        'rollback:success',
        'maintenance.on:success',
        'maintenance.off:success',
      ]),
    );
  });

  it('a release rolled back on production loses its staging verification until staging verifies it again', async () => {
    const refused = await cli('deploy', 'production', '--strategy', 'all-at-once');
    expect(refused.exitCode).toBe(1);
    expect(refused.stdout).toMatch(
      /✗ staging-first +release [0-9a-f]{12} \(commit [0-9a-f]{7}\) was rolled back on production at .* that revokes its verification on staging/,
    );
    // status shows the release failed on staging too, where it was verified.
    const status = await cli('status', 'staging', '--json');
    const revisions = (
      JSON.parse(status.stdout) as { services: { revisions: { annotations: Record<string, string> }[] }[] }
    ).services[0]!.revisions;
    expect(revisions.map((r) => r.annotations)).toContainEqual({
      verdict: 'failed (on production)',
      verified: 'revoked (failed on production)',
    });
    const again = await cli('deploy', 'staging', '--strategy', 'all-at-once', '--watch', '1s');
    expect(again.exitCode, again.stdout + again.stderr).toBe(0);
  });

  it('Ctrl-C during the watch aborts cleanly: exit 3 and the traffic it found, restored', async () => {
    const before = await get('production');
    const opId = await deployKilledAfter('traffic-100', 'SIGINT');
    expect(lastExitCode).toBe(3);
    expect(await get('production')).toEqual(before);
    const audit = await cli('audit', 'log', '--env', 'production', '--limit', '1', '--json');
    const last = (
      JSON.parse(audit.stdout) as {
        events: { action: string; outcome: string; details: { operationId: string } }[];
      }
    ).events[0]!;
    expect(last).toMatchObject({ action: 'deploy', outcome: 'rolled-back', details: { operationId: opId } });
    expect((await cli('deploy', 'production', '--strategy', 'all-at-once')).exitCode).toBe(0);
  });
  it('revisions never get an admin or read-only console credential, after a deploy and after a rotation rollout', async () => {
    const add = async (name: string, kind: string, value: string) => {
      const r = await runProdguard(['secrets', 'add', name, '--env', 'staging', '--kind', kind], {
        cwd: project.repo.dir,
        env,
        input: value,
      });
      expect(r.exitCode, r.stderr).toBe(0);
    };
    await add('DATABASE_URL_ADMIN', 'external', 'postgresql://admin:admin-pw-0123456789@127.0.0.1:1/app');
    await add('DATABASE_URL_READONLY', 'external', 'postgresql://ro:readonly-pw-0123456789@127.0.0.1:1/app');
    await add('JWT_SECRET', 'random', 'first-jwt-key-0123456789abcdef');
    /** The environment of every live process running from this project's artifacts (as root: their copies). */
    const revisionEnvs = () => {
      const found: Record<string, string>[] = [];
      const { revisionsDirPath } = loadConfig({ cwd: project.repo.dir });
      for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
        try {
          const cwd = realpathSync(`/proc/${pid}/cwd`);
          if (!cwd.startsWith(artifactsDir()) && !cwd.startsWith(revisionsDirPath)) continue;
          const vars = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
          found.push(
            Object.fromEntries(vars.map((v) => [v.slice(0, v.indexOf('=')), v.slice(v.indexOf('=') + 1)])),
          );
        } catch {
          // The process exited while we looked.
        }
      }
      return found;
    };
    const deployed = await cli('deploy', 'staging', '--strategy', 'all-at-once', '--watch', '1s');
    expect(deployed.exitCode, deployed.stdout + deployed.stderr).toBe(0);
    const afterDeploy = revisionEnvs().filter((e) => e.PRODGUARD_ENVIRONMENT === 'staging');
    expect(afterDeploy.some((e) => e.JWT_SECRET === 'first-jwt-key-0123456789abcdef')).toBe(true);
    const rotated = await cli('secrets', 'rotate', 'JWT_SECRET', '--env', 'staging');
    expect(rotated.exitCode, rotated.stdout + rotated.stderr).toBe(0);
    const afterRotation = revisionEnvs().filter((e) => e.PRODGUARD_ENVIRONMENT === 'staging');
    expect(afterRotation.some((e) => e.JWT_SECRET && e.JWT_SECRET !== 'first-jwt-key-0123456789abcdef')).toBe(
      true,
    );
    for (const vars of [...afterDeploy, ...afterRotation]) {
      const joined = Object.entries(vars)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n');
      expect(vars.DATABASE_URL_ADMIN).toBeUndefined();
      expect(vars.DATABASE_URL_READONLY).toBeUndefined();
      expect(joined).not.toContain('admin-pw-0123456789');
      expect(joined).not.toContain('readonly-pw-0123456789');
    }
  });
  it("after its deploys, test runners find only the project's own tests: no release copies in its tree", async () => {
    await release('v3');
    const third = await cli('deploy', 'staging', '--strategy', 'all-at-once', '--watch', '1s');
    expect(third.exitCode, third.stdout + third.stderr).toBe(0);
    expect(readdirSync(artifactsDir()).filter((n) => /^[0-9a-f]{40}$/.test(n)).length).toBeGreaterThanOrEqual(
      3,
    );
    expect(artifactsDir().startsWith(project.repo.dir)).toBe(false);
    // vitest, for real: its default include, its default excludes.
    const vitest = await nodeProcessRunner.run(
      join(process.cwd(), 'node_modules', '.bin', 'vitest'),
      ['list', '--filesOnly', '--root', project.repo.dir],
      { cwd: project.repo.dir, timeoutMs: 60_000 },
    );
    expect(vitest.stdout.trim().split('\n').filter(Boolean)).toEqual(['own.test.mjs']);
    // jest's default testMatch, which ignores .gitignore and skips only node_modules (jest is not installed here).
    const jestMatch = /(^|\/)__tests__\/.*\.[mc]?[jt]sx?$|(^|\/)([^/]*\.)?(test|spec)\.[mc]?[jt]sx?$/;
    const walk = (dir: string, rel = ''): string[] =>
      readdirSync(join(dir, rel), { withFileTypes: true }).flatMap((e) => {
        const path = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) return e.name === 'node_modules' || e.name === '.git' ? [] : walk(dir, path);
        return jestMatch.test(path) ? [path] : [];
      });
    expect(walk(project.repo.dir)).toEqual(['own.test.mjs']);
    // mocha's default spec (./test/*.{js,cjs,mjs}) and its --recursive form: no folder of copies to find.
    expect(walk(project.repo.dir).filter((p) => p.startsWith('test/'))).toEqual([]);
  });

  it('production rollback tags and --json results anchor the audit head; audit verify checks against them', async () => {
    const tags = (await project.repo.git('tag', '-l', '--format=%(contents)')).trim();
    expect(tags).toMatch(/audit-head: \d+ [0-9a-f]{64}/);
    const rolled = await cli('rollback', 'production', '--json');
    const last = JSON.parse(rolled.stdout.trim().split('\n').at(-1)!) as {
      audit?: { seq: number; hash: string };
    };
    expect(last.audit?.hash).toMatch(/^[0-9a-f]{64}$/);
    const verified = await cli('audit', 'verify');
    expect(verified.exitCode, verified.stdout).toBe(0);
    expect(verified.stdout).toMatch(/used git tags in .*: [1-9]\d* anchor/);
  });
});
