import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isProdguardError } from '../../kernel/errors.js';
import type { Platform, RevisionSpec } from '../../platform/index.js';

/** What an implementation under test provides to the contract suite. */
export interface PlatformContractFixture {
  platform: Platform;
  /** An environment (service) the platform knows, with no revisions yet. */
  service: string;
  /** A revision spec whose process becomes ready. Called once per revision wanted. */
  healthySpec(): RevisionSpec | Promise<RevisionSpec>;
  /** A revision spec whose health path never answers 2xx. */
  neverReadySpec(): RevisionSpec | Promise<RevisionSpec>;
  /** Timeout passed to waitReady for healthy revisions (real processes need real seconds). */
  readyTimeoutMs: number;
  /** Timeout passed to waitReady for the never-ready revision (keep it short). */
  neverReadyTimeoutMs: number;
  cleanup?(): Promise<void>;
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected ${code}`).toBeDefined();
  expect(isProdguardError(error) ? error.code : String(error)).toBe(code);
}

/**
 * The behaviour every Platform must have for the deploy pipeline to be safe, run against each
 * implementation (in-memory, local agent, Cloud Run over a faked HTTP API).
 */
export function runPlatformContract(name: string, makeFixture: () => Promise<PlatformContractFixture>): void {
  describe(`Platform contract: ${name}`, () => {
    let f: PlatformContractFixture;
    beforeEach(async () => {
      f = await makeFixture();
    });
    afterEach(async () => {
      await f.cleanup?.();
    });

    async function readyRevision(): Promise<string> {
      const rev = await f.platform.createRevision(await f.healthySpec());
      await f.platform.waitReady(f.service, rev.name, f.readyTimeoutMs);
      return rev.name;
    }

    it('names an unknown service in a PRODGUARD_PLATFORM_SERVICE_NOT_FOUND error', async () => {
      await expectCode(f.platform.getService('no-such-env'), 'PRODGUARD_PLATFORM_SERVICE_NOT_FOUND');
    });

    it('creates revisions at 0 % traffic with unique names and their own URL', async () => {
      const a = await f.platform.createRevision(await f.healthySpec());
      const b = await f.platform.createRevision(await f.healthySpec());
      expect(a.name).not.toBe(b.name);
      expect(['starting', 'ready']).toContain(a.state);
      expect(a.url).toMatch(/^https?:\/\//);
      const service = await f.platform.getService(f.service);
      expect(service.traffic.filter((t) => t.revision === a.name || t.revision === b.name)).toEqual([]);
      const names = (await f.platform.listRevisions(f.service)).map((r) => r.name);
      expect(names).toEqual(expect.arrayContaining([a.name, b.name]));
      await f.platform.waitReady(f.service, a.name, f.readyTimeoutMs);
      await f.platform.waitReady(f.service, b.name, f.readyTimeoutMs);
    });

    it('refuses traffic to a revision that is not ready and leaves traffic as it was', async () => {
      const good = await readyRevision();
      await f.platform.setTraffic(f.service, [{ revision: good, percent: 100 }]);
      const bad = await f.platform.createRevision(await f.neverReadySpec());
      await expectCode(
        f.platform.setTraffic(f.service, [
          { revision: good, percent: 50 },
          { revision: bad.name, percent: 50 },
        ]),
        'PRODGUARD_PLATFORM_NOT_READY',
      );
      await expectCode(
        f.platform.waitReady(f.service, bad.name, f.neverReadyTimeoutMs),
        'PRODGUARD_PLATFORM_NOT_READY',
      );
      expect((await f.platform.getRevision(f.service, bad.name)).state).toBe('failed');
      await expectCode(
        f.platform.setTraffic(f.service, [{ revision: bad.name, percent: 100 }]),
        'PRODGUARD_PLATFORM_NOT_READY',
      );
      expect((await f.platform.getService(f.service)).traffic).toEqual([{ revision: good, percent: 100 }]);
    });

    it('refuses percents that do not sum to 100', async () => {
      // A Cloud Run service always serves something (its first revision); the split must just not change.
      const initial = (await f.platform.getService(f.service)).traffic;
      const a = await readyRevision();
      const b = await readyRevision();
      await expectCode(
        f.platform.setTraffic(f.service, [
          { revision: a, percent: 60 },
          { revision: b, percent: 30 },
        ]),
        'PRODGUARD_PLATFORM_TRAFFIC_INVALID',
      );
      await expectCode(f.platform.setTraffic(f.service, []), 'PRODGUARD_PLATFORM_TRAFFIC_INVALID');
      expect((await f.platform.getService(f.service)).traffic).toEqual(initial);
    });

    it('replaces the split atomically and reports it back', async () => {
      const a = await readyRevision();
      const b = await readyRevision();
      await f.platform.setTraffic(f.service, [{ revision: a, percent: 100 }]);
      const split = await f.platform.setTraffic(f.service, [
        { revision: a, percent: 90 },
        { revision: b, percent: 10 },
      ]);
      const sorted = (t: { revision: string; percent: number }[]) =>
        t.map(({ revision, percent }) => ({ revision, percent })).sort((x, y) => y.percent - x.percent);
      expect(sorted(split.traffic)).toEqual([
        { revision: a, percent: 90 },
        { revision: b, percent: 10 },
      ]);
      expect(sorted((await f.platform.getService(f.service)).traffic)).toEqual(sorted(split.traffic));
      await f.platform.setTraffic(f.service, [{ revision: b, percent: 100 }]);
      expect(sorted((await f.platform.getService(f.service)).traffic)).toEqual([
        { revision: b, percent: 100 },
      ]);
    });

    it('maintenance keeps the traffic it replaced and restores it exactly', async () => {
      const a = await readyRevision();
      const b = await readyRevision();
      const before = (
        await f.platform.setTraffic(f.service, [
          { revision: a, percent: 70 },
          { revision: b, percent: 30 },
        ])
      ).traffic;
      const on = await f.platform.setMaintenance(f.service, { message: 'Back soon' });
      expect(on.maintenance?.message).toBe('Back soon');
      expect(on.trafficBeforeMaintenance).toEqual(before);
      const off = await f.platform.setMaintenance(f.service, null);
      expect(off.maintenance).toBeUndefined();
      expect(off.traffic).toEqual(before);
    });

    it('stops a revision without traffic, refuses traffic to it, and restarts it', async () => {
      const a = await readyRevision();
      const b = await readyRevision();
      await f.platform.setTraffic(f.service, [{ revision: a, percent: 100 }]);
      await f.platform.stopRevision(f.service, b);
      expect((await f.platform.getRevision(f.service, b)).state).toBe('stopped');
      await expectCode(
        f.platform.setTraffic(f.service, [{ revision: b, percent: 100 }]),
        'PRODGUARD_PLATFORM_NOT_READY',
      );
      await f.platform.startRevision(f.service, b);
      await f.platform.waitReady(f.service, b, f.readyTimeoutMs);
      await f.platform.setTraffic(f.service, [{ revision: b, percent: 100 }]);
      expect((await f.platform.getService(f.service)).traffic.map((t) => t.revision)).toEqual([b]);
    });

    it('reports metrics per revision with an error rate between 0 and 1', async () => {
      const a = await readyRevision();
      await f.platform.setTraffic(f.service, [{ revision: a, percent: 100 }]);
      const metrics = await f.platform.getMetrics(f.service, 30_000);
      const mine = metrics.find((m) => m.revision === a);
      expect(mine).toBeDefined();
      expect(mine!.requests).toBeGreaterThanOrEqual(0);
      expect(mine!.errorRate).toBeGreaterThanOrEqual(0);
      expect(mine!.errorRate).toBeLessThanOrEqual(1);
    });
  });
}
