import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/index.js';
import { deployConfigSchema } from '../../../src/config/sections/deploy.js';
import { runDeploy } from '../../../src/deploy/index.js';
import { pruneReleases } from '../../../src/platform/index.js';
import { createDeployFixture, type DeployFixture, FAST_DEPLOY } from './deploy-fixture.js';

// The pipeline on the real local agent: built releases nothing needs are removed after a verified deploy.
describe('deploy: unused built releases are removed, rollback targets and serving releases stay', () => {
  let f: DeployFixture;
  beforeAll(async () => {
    f = await createDeployFixture();
  });
  afterAll(async () => {
    await f?.close();
  });

  it('keeps the serving release and the newest known-good ones, removes the rest, and rebuilds one deployed again', async () => {
    const config = { ...f.config, deploy: deployConfigSchema.parse({ ...FAST_DEPLOY, keepRevisions: 1 }) };
    // The fixture's config is the whole parsed prodguard.yaml, typed as what the pipeline reads.
    const paths = f.config as unknown as Pick<Config, 'artifactsDirPath' | 'revisionsDirPath'>;
    const artifacts = paths.artifactsDirPath;
    const deps = () =>
      f.deps({
        pruneReleases: (keep: ReadonlySet<string>) =>
          pruneReleases({
            artifactsDir: artifacts,
            revisionsDir: paths.revisionsDirPath,
            keep,
            graceMs: 0,
            nowMs: Date.now(),
          }),
      });
    const retired: (string | undefined)[] = [];
    f.events.on('step:finished', (e) => {
      if (e.step === 'retire') retired.push(e.detail);
    });
    const commits: string[] = [];
    for (const version of ['v1', 'v2', 'v3', 'v4']) {
      const commit = await f.commit({ version });
      commits.push(commit);
      const deployed = await runDeploy(
        config,
        { environment: 'staging', commit, strategy: 'all-at-once' },
        deps(),
      );
      expect(deployed.outcome, deployed.message).toBe('success');
    }
    const [v1, v2, v3, v4] = commits as [string, string, string, string];
    // v4 serves; v3 is the rollback target (keepRevisions: 1); v1 and v2 went with their records.
    expect(existsSync(join(artifacts, v4))).toBe(true);
    expect(existsSync(join(artifacts, v3))).toBe(true);
    for (const gone of [v1, v2]) {
      expect(existsSync(join(artifacts, gone)), gone).toBe(false);
      expect(existsSync(join(artifacts, `${gone}.release.json`)), gone).toBe(false);
    }
    expect(retired.at(-1)).toMatch(/removed \d unused releases? \(\d+(\.\d)? [KM]B\)/);
    // As root, revisions ran from each environment's copies: those of removed releases went too.
    const copies = join(paths.revisionsDirPath, 'staging', 'releases');
    if (existsSync(copies)) expect(readdirSync(copies).sort()).toEqual([v3, v4].sort());

    // A stopped revision whose release was removed (a `rollback --to` target) is rebuilt when started.
    const old = (await f.platform.listRevisions('staging')).find((r) => r.release.commit === v2)!;
    expect(old.state).toBe('stopped');
    const restarted = await f.platform.startRevision('staging', old.name);
    expect(restarted.release.commit).toBe(v2);
    expect(existsSync(join(artifacts, v2))).toBe(true);
    await f.platform.waitReady('staging', old.name, 10_000);
    expect(await (await fetch(`${restarted.url}/`)).text()).toBe('v2\n');

    // A removed release deployed again is rebuilt.
    const again = await runDeploy(
      config,
      { environment: 'staging', commit: v1, strategy: 'all-at-once' },
      deps(),
    );
    expect(again.outcome, again.message).toBe('success');
    expect(existsSync(join(artifacts, v1))).toBe(true);
    expect(await (await fetch(`${(await f.platform.getService('staging')).url}/`)).text()).toBe('v1\n');
  });
});
