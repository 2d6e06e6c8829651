import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderStagingCost, STAGING_PRICES, setupStaging } from '../../../src/gcp/setup/index.js';
import { createRestTransport, PlanTransport, renderPlan } from '../../../src/gcp/transport/index.js';
import { ManualClock } from '../../../src/kernel/clock.js';
import { FakeGcp } from '../../fakes/gcp/index.js';

describe('gcp setup-staging', () => {
  let clock: ManualClock;
  let fake: FakeGcp;
  beforeEach(async () => {
    clock = new ManualClock('2026-03-04T10:00:00Z');
    fake = await FakeGcp.start({ now: () => clock.now() });
    fake.run.seedService('projects/p1/locations/us-central1/services/api', {
      serviceAccount: 'api-runtime@p1.iam.gserviceaccount.com',
      containers: [
        {
          image: 'us-docker.pkg.dev/p1/app/api:v7',
          env: [
            { name: 'NODE_ENV', value: 'production' },
            {
              name: 'DATABASE_URL',
              valueSource: { secretKeyRef: { secret: 'production_DATABASE_URL', version: '4' } },
            },
            {
              name: 'JWT_SECRET',
              valueSource: { secretKeyRef: { secret: 'production_JWT_SECRET', version: '2' } },
            },
          ],
        },
      ],
    });
  });
  afterEach(() => fake.close());
  const live = () => createRestTransport({ token: async () => 't', clock, baseUrl: fake.baseUrl });
  const options = { project: 'p1', region: 'us-central1', productionService: 'api' };

  it('--plan lists every write (with Cloud Run validateOnly) and changes nothing', async () => {
    const plan = new PlanTransport({ reads: live(), validateOnly: true });
    const result = await setupStaging(options, { transport: plan, clock, pollIntervalMs: 1_000 });
    expect(fake.run.services.has('projects/p1/locations/us-central1/services/api-staging')).toBe(false);
    expect(fake.sql.instances.size).toBe(0);
    expect(result.steps.every((s) => s.status === 'planned')).toBe(true);
    const text = renderPlan(plan.calls);
    expect(text).toContain(
      'POST https://run.googleapis.com/v2/projects/p1/locations/us-central1/services?serviceId=api-staging',
    );
    expect(text).toContain('(accepted by validateOnly)');
    expect(text).toContain('"tier":"db-f1-micro"');
    expect(text).toContain(
      'POST https://secretmanager.googleapis.com/v1/projects/p1/secrets?secretId=staging_DATABASE_URL',
    );
    expect(text).toContain('roles/cloudsql.client');
    // Staging never references production's secrets.
    expect(text).not.toContain('production_DATABASE_URL');
    expect(result.secretsToFill).toEqual(['DATABASE_URL', 'JWT_SECRET']);
  });

  it('--apply creates the service, instance, database, secrets and IAM; a second run finds everything', async () => {
    const first = await setupStaging(options, { transport: live(), clock, pollIntervalMs: 1_000 });
    expect(first.steps.filter((s) => s.status === 'created')).toHaveLength(8);
    expect(fake.sql.instances.get('p1/api-staging-db')).toMatchObject({
      state: 'RUNNABLE',
      settings: { tier: 'db-f1-micro' },
    });
    expect(fake.sql.databases.get('p1/api-staging-db')).toContain('app');
    expect(fake.secretManager.policies.get('projects/p1/secrets/staging_JWT_SECRET')).toMatchObject({
      bindings: [
        {
          role: 'roles/secretmanager.secretAccessor',
          members: ['serviceAccount:api-runtime@p1.iam.gserviceaccount.com'],
        },
      ],
    });
    expect(fake.projectPolicies.get('p1')?.bindings).toEqual([
      { role: 'roles/cloudsql.client', members: ['serviceAccount:api-runtime@p1.iam.gserviceaccount.com'] },
    ]);
    const second = await setupStaging(options, { transport: live(), clock, pollIntervalMs: 1_000 });
    expect(second.steps.every((s) => s.status === 'exists')).toBe(true);
  });

  it("prints the monthly cost beside the seed's ~$12 and names its price source", async () => {
    const result = await setupStaging(options, { transport: new PlanTransport({ reads: live() }), clock });
    const text = renderStagingCost(result.cost, STAGING_PRICES.source);
    expect(text).toContain('(the seed budgets ~$12)');
    expect(text).toContain('Cloud SQL db-f1-micro');
    expect(text).toContain('not fetched live');
    expect(result.cost.totalUsd).toBeGreaterThan(12);
    expect(result.cost.totalUsd).toBeLessThan(16);
  });
});
