import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/kernel/clock.js';
import { FakeGcp } from '../../fakes/gcp/index.js';
import { runProdguard } from '../../helpers/cli.js';
import { cloudRunPlatformYaml } from './cloud-run-yaml.js';

// The real CLI (dist/, built by `npm test`) against the loopback fake through PRODGUARD_GCP_ENDPOINT.
describe('prodguard gcp (real CLI, Google APIs faked over HTTP)', () => {
  let dir: string;
  let fake: FakeGcp;
  const clock = new ManualClock('2026-03-04T10:00:00Z');
  const run = (args: string[]) =>
    runProdguard(args, {
      cwd: dir,
      env: { PRODGUARD_GCP_ENDPOINT: fake.url, PRODGUARD_GCP_TOKEN: 'fake-token' },
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'prodguard-gcp-cli-'));
    fake = await FakeGcp.start({ now: () => clock.now() });
    fake.run.seedService('projects/cvstomize-prod/locations/us-central1/services/api', {
      serviceAccount: 'api-runtime@cvstomize-prod.iam.gserviceaccount.com',
      containers: [
        {
          image: 'us-docker.pkg.dev/cvstomize-prod/app/api:v1',
          env: [
            {
              name: 'DATABASE_URL',
              valueSource: { secretKeyRef: { secret: 'production_DATABASE_URL', version: '3' } },
            },
          ],
        },
      ],
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
${cloudRunPlatformYaml({ sqlInstance: true })}`,
    );
  });
  afterAll(async () => {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('plan deploy prints the Cloud Run calls of a deploy and a canary and makes no write', async () => {
    const result = await run([
      'gcp',
      'plan',
      'deploy',
      'production',
      '--commit',
      'abc1234',
      '--steps',
      '10,100',
    ]);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('# create revision at 0 % (tagged)');
    expect(result.stdout).toContain(
      'PATCH https://run.googleapis.com/v2/projects/cvstomize-prod/locations/us-central1/services/api?updateMask=template,traffic',
    );
    expect(result.stdout).toContain('"percent":10');
    expect(fake.http.log.filter((l) => l.method !== 'GET')).toEqual([]);
  });

  it('plan rotate prints users.update with the password masked, the new version and the pinned rollout', async () => {
    const result = await run([
      'gcp',
      'plan',
      'rotate',
      'production',
      'DATABASE_URL',
      '--role',
      'app_b',
      '--commit',
      'abc1234',
    ]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(
      'PUT https://sqladmin.googleapis.com/v1/projects/cvstomize-prod/instances/api-db/users?name=app_b',
    );
    expect(result.stdout).toContain('"password":"[redacted]"');
    expect(result.stdout).toContain('"data":"[redacted]"');
    expect(result.stdout).not.toContain('planned-password-not-real');
    expect(result.stdout).toContain('"secretKeyRef":{"secret":"production_DATABASE_URL","version":"1"}');
    expect(fake.http.log.filter((l) => l.method !== 'GET')).toEqual([]);
  });

  it('setup-staging --plan changes nothing and prints the cost beside the seed', async () => {
    const result = await run(['gcp', 'setup-staging', '--plan']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('"tier":"db-f1-micro"');
    expect(result.stdout).toContain('(the seed budgets ~$12)');
    expect(fake.sql.instances.size).toBe(1);
  });

  it('prodguard logs reads Cloud Logging for a Cloud Run environment, credentials masked', async () => {
    fake.logging.add({
      resource: {
        type: 'cloud_run_revision',
        labels: {
          project_id: 'cvstomize-prod',
          service_name: 'api',
          location: 'us-central1',
          revision_name: 'api-00001-cyw',
        },
      },
      timestamp: '2026-03-04T09:59:00.000Z',
      severity: 'ERROR',
      textPayload: 'connect failed for postgres://app:hunter2secret@10.0.0.5/app',
    });
    const result = await run(['logs', 'production', '--tail', '10']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('api-00001-cyw err');
    expect(result.stdout).toContain('postgres://app:[redacted]@10.0.0.5/app');
    expect(result.stdout).not.toContain('hunter2secret');
  });

  it('prodguard status shows a Cloud Run environment from the Admin API', async () => {
    const result = await run(['status', 'production', '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    const status = JSON.parse(result.stdout) as {
      services: { name: string; revisions: { name: string }[] }[];
    };
    expect(status.services[0]!.name).toBe('production');
    expect(status.services[0]!.revisions.map((r) => r.name)).toContain('api-00001-cyw');
  });

  it('refuses an environment that is not on Cloud Run with a clear error', async () => {
    const result = await run(['gcp', 'plan', 'deploy', 'staging', '--commit', 'abc']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('PRODGUARD_GCP_NOT_CONFIGURED');
  });
});
