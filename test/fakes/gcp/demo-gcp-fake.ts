/**
 * The Google Cloud tour on the in-repo fakes (scripts/demo-gcp-fake.mjs bundles and runs this file):
 * the real adapters (CloudRunPlatform, SecretManagerVault, Cloud SQL role admin, Monitoring reader) over
 * real HTTP to the loopback fake of each Google API, with a manual clock so minutes pass instantly.
 */
import { judgeSample } from '../../../src/deploy/analyze-sample.js';
import {
  CloudRunPlatform,
  cloudSqlRoleAdmin,
  createRestTransport,
  PlanTransport,
  planCloudRunDeploy,
  planCloudSqlRotation,
  readRunAnalysisSample,
  renderPlannedSteps,
  SecretManagerVault,
  worstCaseDetectionMs,
} from '../../../src/gcp/index.js';
import { ManualClock } from '../../../src/kernel/clock.js';
import type { TrafficTarget } from '../../../src/platform/platform.js';
import { FakeGcp } from './fake-gcp.js';

const say = (line = '') => process.stdout.write(`${line}\n`);
const PROJECT = 'cvstomize-prod';
const REGION = 'us-central1';
const thresholds = {
  errorRate: 0.05,
  latencyP95Ms: 2_000,
  minRequests: 20,
  maxRestarts: 0,
  windowMs: 60_000,
  confidence: 0.95,
  decisiveConfidence: 0.999,
};
const fmt = (t: readonly TrafficTarget[]) => t.map((x) => `${x.revision} ${x.percent}%`).join(', ');

async function main(): Promise<void> {
  const clock = new ManualClock('2026-03-04T10:00:00Z');
  const fake = await FakeGcp.start({ now: () => clock.now(), run: { readyAfterPolls: 2 } });
  try {
    for (const [service, sa] of [
      ['api', 'api-runtime'],
      ['api-staging', 'api-staging-runtime'],
    ] as const)
      fake.run.seedService(`projects/${PROJECT}/locations/${REGION}/services/${service}`, {
        serviceAccount: `${sa}@${PROJECT}.iam.gserviceaccount.com`,
        containers: [{ image: `us-docker.pkg.dev/${PROJECT}/app/api:v0` }],
      });
    fake.sql.seedInstance(PROJECT, 'api-db', REGION);
    fake.sql.seedUser(PROJECT, 'api-db', 'cvstomize_app_b', 'initial-password-0001');
    fake.sql.seedUser(PROJECT, 'api-db', 'cvstomize_app_a', 'initial-password-0002');
    const transport = createRestTransport({ token: async () => 'fake-token', clock, baseUrl: fake.baseUrl });
    const make = (t = transport) =>
      new CloudRunPlatform({
        transport: t,
        clock,
        environments: {
          staging: { project: PROJECT, region: REGION, service: 'api-staging' },
          production: { project: PROJECT, region: REGION, service: 'api' },
        },
        image: (r) => `us-docker.pkg.dev/${PROJECT}/app/api:${r.commit}`,
        maintenanceImage: `us-docker.pkg.dev/${PROJECT}/app/maintenance:1`,
        pollIntervalMs: 2_000,
      });
    const platform = make();
    const vault = new SecretManagerVault({ transport, clock, project: PROJECT });
    say(
      `Fake Google APIs on ${fake.url} (Cloud Run v2, Secret Manager v1, Cloud SQL Admin v1, Monitoring v3, Logging v2)`,
    );

    say('\n== 1. --plan: what a production deploy would call (reads done, no write made)');
    const plan = new PlanTransport({ reads: transport });
    say(
      renderPlannedSteps(
        await planCloudRunDeploy(make(plan), plan, {
          environment: 'production',
          commit: 'a1b2c3d',
          canarySteps: [10, 50, 100],
        }),
      ),
    );
    say(`writes sent to Google: ${fake.http.log.filter((l) => l.method !== 'GET').length}`);

    const traffic =
      (env: string, commit: string) =>
      async (steps: number[], bad = false) => {
        const stable = (await platform.getService(env)).traffic;
        const rev = await platform.createRevision({
          service: env,
          release: { commit, digest: `sha256:${commit}` },
          env: {},
        });
        const ready = await platform.waitReady(env, rev.name, 120_000);
        const smoke = await fetch(`${ready.url}/health`);
        say(
          `${env}: ${rev.name} ready at 0 %; smoke test at its tag URL ${ready.url}/health → ${smoke.status}`,
        );
        if (bad) fake.run.failingRevisions.add(rev.name);
        for (const percent of steps) {
          const split: TrafficTarget[] =
            percent === 100
              ? [{ revision: rev.name, percent: 100 }]
              : [
                  { revision: stable[0]!.revision, percent: 100 - percent },
                  { revision: rev.name, percent },
                ];
          await platform.setTraffic(env, split);
          // Traffic served during the step, visible to Monitoring only after its ingestion lag.
          const at = clock.nowMs();
          const requests = percent * 3;
          const errors = bad ? Math.round(requests * 0.3) : 0;
          fake.monitoring.addRunTraffic({
            project: PROJECT,
            service: env === 'production' ? 'api' : 'api-staging',
            location: REGION,
            revision: rev.name,
            atMs: at,
            byClass: { '2xx': requests - errors, '5xx': errors },
            latenciesMs: [120, 180, 240, 300],
          });
          clock.advance(240_000);
          const sample = await readRunAnalysisSample(transport, clock, {
            project: PROJECT,
            service: env === 'production' ? 'api' : 'api-staging',
            region: REGION,
            revision: rev.name,
            windowMs: 240_000,
            ready: true,
          });
          const verdict = judgeSample(sample, thresholds);
          say(
            `  ${percent} %: ${fmt((await platform.getService(env)).traffic)} · Monitoring (until ${sample.dataUntil}): ${sample.requests} requests, ${(sample.errorRate * 100).toFixed(1)} % 5xx, p95 ${sample.p95Ms} ms → ${verdict.kind}`,
          );
          if (verdict.kind === 'breach') {
            await platform.setTraffic(env, stable);
            say(
              `  auto-rollback: one PATCH, traffic back to ${fmt((await platform.getService(env)).traffic)}`,
            );
            return { rev: rev.name, ok: false };
          }
        }
        return { rev: rev.name, ok: true };
      };

    say('\n== 2. Staging first: release a1b2c3d on staging, then the same release on production');
    const onStaging = await traffic('staging', 'a1b2c3d')([10, 50, 100]);
    say(`staging verified ${onStaging.rev} (release a1b2c3d)`);
    const onProd = await traffic('production', 'a1b2c3d')([10, 50, 100]);
    say(`production now serves ${onProd.rev}, the release verified on staging`);

    say('\n== 3. A bad release: canary at 10 % breaches the 5 % error rate and rolls back');
    await traffic('production', 'bad9999')([10, 50, 100], true);
    say(
      `worst-case detection with Cloud Monitoring: ${worstCaseDetectionMs(60_000) / 1000} s (60 s sampling + 180 s ingestion lag + 60 s window)`,
    );

    say(
      '\n== 4. Maintenance: a tagged maintenance revision of the same service, then the split restored exactly',
    );
    const before = (await platform.getService('production')).traffic;
    await platform.setMaintenance('production', {
      message: 'Scheduled maintenance, back at 11:00',
      until: '2026-03-04T11:00:00Z',
    });
    const routed = fake.run.services
      .get(`projects/${PROJECT}/locations/${REGION}/services/api`)!
      .trafficStatuses.filter((s) => (s.percent ?? 0) > 0);
    say(
      `on: Cloud Run routes ${routed.map((s) => `${s.revision} ${s.percent}%`).join(', ')} (tag maintenance); kept to restore: ${fmt(before)}`,
    );
    const off = await platform.setMaintenance('production', null);
    say(
      `off: ${fmt(off.traffic)} (same as before: ${JSON.stringify(off.traffic) === JSON.stringify(before)})`,
    );

    say(
      '\n== 5. Password rotation on Cloud SQL (seed §4): new version, users.update, wait for propagation, roll, retire',
    );
    const ref = { name: 'DATABASE_URL', environment: 'production' };
    await vault.addVersion(ref, `postgres://cvstomize_app_a:initial-password-0002@127.0.0.1:5432/app`, {
      actor: 'demo',
      kind: 'postgres',
      metadata: { role: 'cvstomize_app_a' },
    });
    fake.sql.propagationDelayMs = 8 * 60_000;
    const roles = cloudSqlRoleAdmin({
      transport,
      clock,
      instance: { project: PROJECT, instance: 'api-db' },
      login: async (url) => {
        const u = new URL(url);
        return fake.sql.loginWorks(PROJECT, 'api-db', u.username, decodeURIComponent(u.password))
          ? { ok: true }
          : { ok: false, code: '28P01', message: 'password authentication failed' };
      },
      sqlAdmin: {
        setupRoles: async () => [],
        setupReadonlyRole: async () => ({ created: false, warnings: [] }),
      },
      pollIntervalMs: 2_000,
    });
    const password = 'n3w-generated-password-7f3a9c';
    await roles.setPassword('', 'cvstomize_app_b', password);
    const url = `postgres://cvstomize_app_b:${password}@127.0.0.1:5432/app`;
    const started = clock.nowMs();
    let attempts = 0;
    while (!(await roles.tryLogin(url)).ok) {
      attempts++;
      if (clock.nowMs() - started > 15 * 60_000) throw new Error('password never propagated');
      await clock.sleep(5_000);
    }
    say(
      `users.update done; new logins accepted it after ${(clock.nowMs() - started) / 60_000} min (${attempts} failed attempts, every 5 s)`,
    );
    const v = await vault.addVersion(ref, url, {
      actor: 'demo',
      kind: 'postgres',
      metadata: { role: 'cvstomize_app_b' },
    });
    const rolled = await platform.createRevision({
      service: 'production',
      release: { commit: 'a1b2c3d', digest: 'sha256:a1b2c3d' },
      env: {},
      secrets: { DATABASE_URL: { version: v.version, envVar: 'DATABASE_URL' } },
    });
    await platform.waitReady('production', rolled.name, 120_000);
    await platform.setTraffic('production', [{ revision: rolled.name, percent: 100 }]);
    const env = fake.run.revisions.get(
      `projects/${PROJECT}/locations/${REGION}/services/api/revisions/${rolled.name}`,
    )!.resource.containers[0]!.env;
    say(`${rolled.name} serves 100 % with ${JSON.stringify(env?.find((e) => e.name === 'DATABASE_URL'))}`);
    await vault.disableVersion(ref, v.version - 1);
    say(
      `old version v${v.version - 1} disabled (kept for the grace period); the value never left Secret Manager except to this rotation`,
    );

    say('\n== 6. --plan of that rotation');
    const plan2 = new PlanTransport({ reads: transport });
    const planned = await planCloudSqlRotation(
      {
        platform: make(plan2),
        transport: plan2,
        clock,
        vault: new SecretManagerVault({ transport: plan2, clock, project: PROJECT }),
        roles: cloudSqlRoleAdmin({
          transport: plan2,
          clock,
          instance: { project: PROJECT, instance: 'api-db' },
          login: async () => ({ ok: true }),
          sqlAdmin: {
            setupRoles: async () => [],
            setupReadonlyRole: async () => ({ created: false, warnings: [] }),
          },
        }),
      },
      { environment: 'production', secret: 'DATABASE_URL', role: 'cvstomize_app_a', commit: 'a1b2c3d' },
    );
    say(renderPlannedSteps(planned));
    say(`\n${fake.http.log.length} HTTP calls served by the fake; none carried a secret in its URL.`);
  } finally {
    await fake.close();
  }
}

await main();
