import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/kernel/clock.js';
import { FakeGcp } from '../../fakes/gcp/index.js';
import { runProdguard } from '../../helpers/cli.js';
import { cloudRunPlatformYaml } from './cloud-run-yaml.js';

const SERVICE = 'projects/cvstomize-prod/locations/us-central1/services/api';
const RUN = `https://run.googleapis.com/v2/${SERVICE}`;

// `--plan` on the mutating commands themselves: the real CLI (dist/) against the loopback fake. Every
// test asserts the fake received no write at all: only GETs (the reads a plan is computed from).
describe('--plan on deploy, rollback, maintenance and secrets rotate (real CLI, Google APIs faked)', () => {
  let dir: string;
  let fake: FakeGcp;
  let head: string;
  const clock = new ManualClock('2026-03-04T10:00:00Z');
  const run = (args: string[]) =>
    runProdguard(args, {
      cwd: dir,
      env: { PRODGUARD_GCP_ENDPOINT: fake.url, PRODGUARD_GCP_TOKEN: 'fake-token' },
    });
  const writes = () => fake.http.log.filter((l) => l.method !== 'GET');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'prodguard-plan-flag-'));
    fake = await FakeGcp.start({ now: () => clock.now() });
    fake.run.seedService(SERVICE, {
      serviceAccount: 'api-runtime@cvstomize-prod.iam.gserviceaccount.com',
      containers: [{ image: 'us-docker.pkg.dev/cvstomize-prod/app/api:v1' }],
    });
    fake.sql.seedInstance('cvstomize-prod', 'api-db');
    writeFileSync(
      join(dir, 'prodguard.yaml'),
      `version: 1
project:
  name: cvstomize-api
environments:
  staging:
    protected: true
  production:
    requires: staging
${cloudRunPlatformYaml({ maintenance: true, sqlInstance: true })}`,
    );
    const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8' });
    git('init', '-q');
    git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'add', 'prodguard.yaml');
    git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-q', '-m', 'init');
    head = git('rev-parse', 'HEAD').trim();
  });
  beforeEach(() => {
    fake.http.log.length = 0;
  });
  afterAll(async () => {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('deploy --plan prints the revision, the canary steps of the config and makes no write', async () => {
    const result = await run(['deploy', 'production', '--plan', '--steps', '10,50,100']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('Plan of deploy on production');
    expect(result.stdout).toContain('# create revision at 0 % (tagged)');
    expect(result.stdout).toContain(`PATCH ${RUN}?updateMask=template,traffic`);
    expect(result.stdout).toContain(`api:${head}`);
    expect(result.stdout).toContain('# canary 10 %');
    expect(result.stdout).toContain('# canary 50 %');
    expect(result.stdout).toContain('# canary 100 %');
    expect(result.stdout).toContain('none made');
    expect(writes()).toEqual([]);
    expect(fake.http.log.length).toBeGreaterThan(0);
    expect(fake.run.revisions.size).toBe(1);
  });

  it('rollback --plan prints one PATCH sending 100 % to the target and makes no write', async () => {
    const result = await run(['rollback', 'production', '--plan', '--to', 'api-00001-cyw']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('# switch (100 % to api-00001-cyw)');
    expect(result.stdout).toContain(`PATCH ${RUN}?updateMask=traffic`);
    expect(result.stdout).toContain('"revision":"api-00001-cyw","percent":100');
    expect(writes()).toEqual([]);
  });

  it('rollback --plan with no known-good revision refuses as the real rollback would', async () => {
    const result = await run(['rollback', 'production', '--plan']);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('PRODGUARD_DEPLOY_NO_ROLLBACK_TARGET');
    expect(writes()).toEqual([]);
  });

  it('maintenance on --plan deploys the maintenance revision at 0 % then moves 100 %, on paper only', async () => {
    const result = await run(['maintenance', 'on', 'production', '--plan', '--message', 'Back at noon']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('maintenance:1');
    expect(result.stdout).toContain('"tag":"maintenance"');
    expect(result.stdout).toContain('Back at noon');
    expect(writes()).toEqual([]);
    const off = await run(['maintenance', 'off', 'production', '--plan']);
    expect(off.exitCode, off.stderr).toBe(0);
    expect(off.stdout).toContain('maintenance off');
    expect(writes()).toEqual([]);
  });

  it('secrets rotate --plan prints users.update masked, the new version and the pinned rollout', async () => {
    const result = await run([
      'secrets',
      'rotate',
      'DATABASE_URL',
      '--env',
      'production',
      '--plan',
      '--role',
      'app_b',
    ]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain(
      'PUT https://sqladmin.googleapis.com/v1/projects/cvstomize-prod/instances/api-db/users?name=app_b',
    );
    expect(result.stdout).toContain('"password":"[redacted]"');
    expect(result.stdout).toContain('"data":"[redacted]"');
    expect(result.stdout).not.toContain('planned-password-not-real');
    expect(result.stdout).toContain(`api:${head}`);
    expect(writes()).toEqual([]);
  });

  it('secrets rotate --plan without --role says what it needs', async () => {
    const result = await run(['secrets', 'rotate', 'DATABASE_URL', '--env', 'production', '--plan']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('--plan needs --role');
  });

  it('refuses --plan on a local-platform environment with a clear message, changing nothing', async () => {
    for (const args of [
      ['deploy', 'staging', '--plan'],
      ['rollback', 'staging', '--plan'],
      ['maintenance', 'on', 'staging', '--plan'],
    ]) {
      const result = await run(args);
      expect(result.exitCode, args.join(' ')).toBe(2);
      expect(result.stderr).toContain('PRODGUARD_GCP_NOT_CONFIGURED');
      expect(result.stderr).toContain('runs on the local platform');
    }
    expect(fake.http.log).toEqual([]);
  });
});
