import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlatformFixture, httpGet, type PlatformFixture, tinyConfig } from './platform-fixture.js';

describe('local platform: an app without a health endpoint', () => {
  let f: PlatformFixture;
  beforeAll(async () => {
    f = await createPlatformFixture(tinyConfig().replace('  healthPath: /health\n', ''));
  });
  afterAll(async () => {
    await f?.close();
  });

  it('is ready as soon as it answers HTTP at all, whatever the status', async () => {
    // /health would answer 500 here; without healthPath only "answers HTTP" counts.
    const rev = await f.revision(await f.commit({ version: 'nh', unhealthy: true }));
    expect(rev.state).toBe('ready');
    expect((await httpGet(`${rev.url}/`)).body).toBe('nh\n');
  });

  it('is failed when it never listens', async () => {
    const rev = await f.revision(await f.commit({ version: 'x', exitOnStart: true }), { wait: false });
    await expect(f.platform.waitReady('staging', rev.name, 5000)).rejects.toMatchObject({
      code: 'PRODGUARD_PLATFORM_NOT_READY',
    });
  });
});
