import { readFileSync } from 'node:fs';
import { Agent, request, WebSocket } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Revision } from '../../../src/platform/index.js';
import { revisionLogFile } from '../../../src/platform/local/revision-log.js';
import {
  createPlatformFixture,
  eventually,
  httpGet,
  inFlight,
  type PlatformFixture,
} from './platform-fixture.js';

describe('local platform: revision lifecycle', () => {
  let f: PlatformFixture;
  let a: Revision;
  let b: Revision;
  let routerUrl: string;

  beforeAll(async () => {
    f = await createPlatformFixture();
    a = await f.revision(await f.commit({ version: 'a' }));
    b = await f.revision(await f.commit({ version: 'b' }));
    await f.platform.setTraffic('staging', [{ revision: a.name, percent: 100 }]);
    routerUrl = (await f.platform.getService('staging')).url;
  });
  afterAll(async () => {
    await f?.close();
  });

  it('a revision that never becomes ready fails within its deadline and cannot get traffic', async () => {
    const sick = await f.revision(await f.commit({ version: 'sick', unhealthy: true }), { wait: false });
    const started = Date.now();
    await expect(f.platform.waitReady('staging', sick.name, 1500)).rejects.toMatchObject({
      code: 'PRODGUARD_PLATFORM_NOT_READY',
    });
    expect(Date.now() - started).toBeLessThan(4000);
    expect(await f.platform.getRevision('staging', sick.name)).toMatchObject({ state: 'failed' });
    await expect(
      f.platform.setTraffic('staging', [{ revision: sick.name, percent: 100 }]),
    ).rejects.toMatchObject({
      code: 'PRODGUARD_PLATFORM_NOT_READY',
    });
    // one that exits at start fails with its output in the reason
    const dead = await f.revision(await f.commit({ version: 'dead', exitOnStart: true }), { wait: false });
    await expect(f.platform.waitReady('staging', dead.name, 5000)).rejects.toThrow(/exiting on start/);
  });

  it('restarts a crashed serving revision with growing backoff and counts the restarts', async () => {
    expect((await httpGet(`${b.url}/crash`)).status).toBe(200);
    await eventually(async () => {
      const r = await f.platform.getRevision('staging', b.name);
      return r.restarts === 1 && r.state === 'ready' ? r : undefined;
    });
    expect((await httpGet(`${b.url}/crash`)).status).toBe(200);
    const after = await eventually(async () => {
      const r = await f.platform.getRevision('staging', b.name);
      return r.restarts === 2 && r.state === 'ready' ? r : undefined;
    });
    expect(after.restarts).toBe(2);
    const log = readFileSync(revisionLogFile(f.agent.paths.logs, 'staging', b.name), 'utf8');
    expect(log).toMatch(/pg +crashed \(exit code 1\); restart #1 in 500 ms/);
    expect(log).toMatch(/pg +crashed \(exit code 1\); restart #2 in 1000 ms/);
    expect(log).toMatch(/err +tiny b: crashing on request/);
  });

  it('passes WebSocket upgrades through the router', async () => {
    const ws = new WebSocket(`${routerUrl.replace('http', 'ws')}/ws`);
    const reply = await new Promise<string>((resolve, reject) => {
      ws.onopen = () => ws.send('ping');
      ws.onmessage = (event) => resolve(String(event.data));
      ws.onerror = () => reject(new Error('websocket failed'));
    });
    expect(reply).toBe('a:ping');
    ws.close();
  });

  it('switches traffic A→B→A under concurrent load without a failed request, and drains before stopping', async () => {
    const dispatcher = new Agent({ connections: 16, pipelining: 1 });
    const failures: string[] = [];
    const seen = new Set<string>();
    let sent = 0;
    let completed = 0;
    let stop = false;
    // Phases last a number of completed requests, not a time: each traffic split serves its share of the
    // load however fast or slow the machine is.
    let waiter: { until: () => boolean; resolve: () => void } | undefined;
    const served = (until: () => boolean) =>
      new Promise<void>((resolve) => {
        waiter = { until, resolve };
      });
    const worker = async () => {
      while (!stop) {
        sent++;
        try {
          const res = await request(`${routerUrl}/slow?ms=${sent % 3 === 0 ? 40 : 2}`, { dispatcher });
          const body = await res.body.text();
          if (res.statusCode !== 200) failures.push(`${res.statusCode} ${body}`);
          seen.add(String(res.headers['x-prodguard-revision']));
        } catch (error) {
          failures.push(String(error));
        }
        completed++;
        if (waiter?.until()) {
          waiter.resolve();
          waiter = undefined;
        }
      }
    };
    const PHASE = 60;
    const phase = (extra: () => boolean = () => true) => {
      const from = completed;
      return served(() => completed - from >= PHASE && extra());
    };
    const workers = Array.from({ length: 12 }, worker);
    await phase();
    await f.platform.setTraffic('staging', [{ revision: b.name, percent: 100 }]);
    await phase(() => seen.has(b.name));
    await f.platform.setTraffic('staging', [
      { revision: a.name, percent: 50 },
      { revision: b.name, percent: 50 },
    ]);
    await phase();
    await f.platform.setTraffic('staging', [{ revision: a.name, percent: 100 }]);
    // a slow request pinned to b is in flight while b is drained and stopped
    await eventually(async () => ((await inFlight(f, b.name)) === 0 ? true : undefined));
    const slow = httpGet(`${routerUrl}/slow?ms=600`, { 'x-prodguard-revision': b.name });
    await eventually(async () => ((await inFlight(f, b.name)) === 1 ? true : undefined));
    await f.platform.stopRevision('staging', b.name);
    expect((await slow).status).toBe(200);
    await phase();
    stop = true;
    await Promise.all(workers);
    await dispatcher.close();
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThan(200);
    expect(seen).toEqual(new Set([a.name, b.name]));
    expect(await f.platform.getRevision('staging', b.name)).toMatchObject({ state: 'stopped' });
    await expect(f.platform.stopRevision('staging', a.name)).rejects.toMatchObject({
      code: 'PRODGUARD_PLATFORM_REVISION_SERVING',
    });
  });

  it('maintenance serves a 503 page and off restores the previous traffic exactly', async () => {
    const b2 = await f.platform.startRevision('staging', b.name);
    expect(b2.state).toBe('starting');
    await f.platform.waitReady('staging', b.name, 10_000);
    const split = [
      { revision: a.name, percent: 70 },
      { revision: b.name, percent: 30, tag: 'candidate' },
    ];
    await f.platform.setTraffic('staging', split);
    const on = await f.platform.setMaintenance('staging', {
      message: 'Upgrading the database',
      until: new Date(Date.now() + 120_000).toISOString(),
    });
    expect(on.maintenance?.message).toBe('Upgrading the database');
    const json = await httpGet(`${routerUrl}/`, { accept: 'application/json' });
    expect(json.status).toBe(503);
    expect(Number(json.headers['retry-after'])).toBeGreaterThan(100);
    expect(JSON.parse(json.body)).toMatchObject({ error: 'maintenance', message: 'Upgrading the database' });
    const html = await httpGet(`${routerUrl}/`, { accept: 'text/html' });
    expect(html.status).toBe(503);
    expect(html.body).toContain('<h1>Down for maintenance</h1>');
    // revisions stay reachable at their own URL while the page is up
    expect((await httpGet(`${b.url}/`)).body).toBe('b\n');
    const off = await f.platform.setMaintenance('staging', null);
    expect(off.traffic).toEqual(split);
    expect(off.maintenance).toBeUndefined();
    expect((await httpGet(`${routerUrl}/`)).status).toBe(200);
  });

  it('an agent restart brings revisions back and traffic as it was', async () => {
    const before = await f.platform.getService('staging');
    const revisionsBefore = await f.platform.listRevisions('staging');
    await f.restartAgent();
    const after = await f.platform.getService('staging');
    expect(after.traffic).toEqual(before.traffic);
    expect(after.url).toBe(before.url);
    await f.platform.waitReady('staging', a.name, 10_000);
    await f.platform.waitReady('staging', b.name, 10_000);
    const revisionsAfter = await f.platform.listRevisions('staging');
    expect(revisionsAfter.map((r) => [r.name, r.url, r.release.digest])).toEqual(
      revisionsBefore.map((r) => [r.name, r.url, r.release.digest]),
    );
    const res = await httpGet(`${after.url}/`);
    expect(res.status).toBe(200);
    expect([a.name, b.name]).toContain(res.headers['x-prodguard-revision']);
  });
});
