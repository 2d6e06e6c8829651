import { describe, expect, it } from 'vitest';
import { createPeriodicCheck } from './periodic-check.js';

describe('createPeriodicCheck', () => {
  it('runs in the background at its interval; no data until the first result and after a failed run', async () => {
    const results: (() => Promise<{ breach: boolean; summary: string }>)[] = [
      async () => ({ breach: false, summary: 'clean' }),
      async () => ({ breach: true, summary: '2 differences' }),
      async () => {
        throw new Error('scratch server down');
      },
    ];
    let runs = 0;
    const signal = createPeriodicCheck({
      rule: 'schema-drift',
      environment: 'production',
      severity: 'page',
      intervalMs: 1000,
      check: () => results[runs++]!(),
    });
    const status = async (at: number) => {
      const [v] = await signal('production', at);
      await new Promise((r) => setImmediate(r)); // let the background run settle
      return v!;
    };
    expect((await status(0)).status).toBe('no-data');
    expect(await signal('staging', 0)).toEqual([]);
    expect((await status(500)).status).toBe('ok'); // not due again yet
    expect(runs).toBe(1);
    await status(1000);
    expect((await status(1500)).summary).toBe('2 differences');
    await status(2000);
    expect(await status(2500)).toMatchObject({
      status: 'no-data',
      summary: 'check failed: scratch server down',
    });
    expect(runs).toBe(3);
  });
});
