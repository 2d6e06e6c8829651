import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../kernel/clock.js';
import { InMemoryPlatform } from './in-memory-platform.js';
import { runPlatformContract } from './platform-contract.js';

let n = 0;
const release = (digest: string) => ({ commit: `c${digest}`.padEnd(40, '0'), digest });

runPlatformContract('in-memory', async () => {
  const platform = new InMemoryPlatform({ clock: new ManualClock(), services: ['staging'] });
  platform.behave('never', { neverReady: true });
  return {
    platform,
    service: 'staging',
    healthySpec: () => ({ service: 'staging', release: release(`ok${++n}`), env: {} }),
    neverReadySpec: () => ({ service: 'staging', release: release('never'), env: {} }),
    readyTimeoutMs: 5000,
    neverReadyTimeoutMs: 1000,
  };
});

describe('InMemoryPlatform metrics', () => {
  it('splits the scripted load by traffic and applies each release’s error rate', async () => {
    const clock = new ManualClock();
    const p = new InMemoryPlatform({ clock, services: ['prod'] });
    p.behave('bad', { errorRate: 0.5, latencyMs: 300 });
    const good = await p.createRevision({ service: 'prod', release: release('good'), env: {} });
    const bad = await p.createRevision({ service: 'prod', release: release('bad'), env: {} });
    await p.waitReady('prod', good.name, 1000);
    await p.waitReady('prod', bad.name, 1000);
    await p.setTraffic('prod', [
      { revision: good.name, percent: 90 },
      { revision: bad.name, percent: 10 },
    ]);
    p.setLoad('prod', 100);
    clock.advance(10_000);
    const metrics = await p.getMetrics('prod', 5000);
    const g = metrics.find((m) => m.revision === good.name)!;
    const b = metrics.find((m) => m.revision === bad.name)!;
    expect(g.requests).toBe(450);
    expect(g.errorRate).toBe(0);
    expect(b.requests).toBe(50);
    expect(b.errorRate).toBe(0.5);
    expect(b.p95Ms).toBe(300);
  });

  it('serves nothing in maintenance and probes reach only ready revisions', async () => {
    const clock = new ManualClock();
    const p = new InMemoryPlatform({ clock, services: ['prod'] });
    const a = await p.createRevision({ service: 'prod', release: release('a'), env: {} });
    expect((await p.probeClient.get(`${a.url}/health`)).status).toBe(0);
    await p.waitReady('prod', a.name, 1000);
    await p.setTraffic('prod', [{ revision: a.name, percent: 100 }]);
    p.setLoad('prod', 10);
    await p.setMaintenance('prod', { message: 'x' });
    clock.advance(5000);
    expect((await p.getMetrics('prod', 5000))[0]!.requests).toBe(0);
    expect((await p.probeClient.get(`${a.url}/health`)).status).toBe(200);
    expect((await p.getMetrics('prod', 5000))[0]!.requests).toBe(1);
  });
});
