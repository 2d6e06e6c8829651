import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revisionLogFile } from '../../../src/platform/local/revision-log.js';
import { waitFor } from '../../helpers/wait-for.js';
import {
  createPlatformFixture,
  httpGet,
  inFlight,
  type PlatformFixture,
  tinyConfig,
} from './platform-fixture.js';

describe('local platform: an app without a health endpoint, with a short drain', () => {
  let f: PlatformFixture;
  beforeAll(async () => {
    f = await createPlatformFixture(
      tinyConfig().replace('  healthPath: /health\n', '').replace('drainTimeout: 5s', 'drainTimeout: 1s'),
    );
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

  it('stops a revision after drainTimeout even when a request is still in flight', async () => {
    const rev = await f.revision(await f.commit({ version: 'slow' }));
    const slow = httpGet(`${rev.url}/slow?ms=8000`).then(
      (r) => r.status,
      () => 'socket error',
    );
    await waitFor('the slow request to reach the router', async () => (await inFlight(f, rev.name)) === 1);
    const started = Date.now();
    // Called on the agent itself: the revision is marked as stopping before the call returns, so the
    // refusal below does not race the stop request over HTTP.
    const stopping = f.agent.agent.stopRevision('staging', rev.name);
    // while it drains it still answers, but cannot be given traffic again
    await expect(
      f.platform.setTraffic('staging', [{ revision: rev.name, percent: 100 }]),
    ).rejects.toMatchObject({
      code: 'PRODGUARD_PLATFORM_NOT_READY',
    });
    await stopping;
    expect(Date.now() - started).toBeLessThan(4000);
    expect(await slow).not.toBe(200);
    const log = readFileSync(revisionLogFile(f.agent.paths.logs, 'staging', rev.name), 'utf8');
    expect(log).toContain('drain timed out with 1 in flight');
    expect(await f.platform.getRevision('staging', rev.name)).toMatchObject({ state: 'stopped' });
  });
});
