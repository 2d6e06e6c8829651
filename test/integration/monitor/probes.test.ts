import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../src/kernel/free-port.js';
import {
  initialProbeTracker,
  runDatabaseProbe,
  runHttpProbe,
  runTcpProbe,
  stepProbeTracker,
} from '../../../src/monitor/index.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.js';

let server: Server;
let base: string;
let status = 200;
let hang = false;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (hang && req.url === '/health') return; // never answers
    res.writeHead(status);
    res.end('x');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

describe('HTTP probe', () => {
  it('follows a server that fails on cue, with retries before DOWN and up-retries after', async () => {
    const settings = { retries: 1, upRetries: 2 };
    let tracker = initialProbeTracker;
    const states: string[] = [];
    for (const cue of [200, 503, 503, 503, 200, 200, 200]) {
      status = cue;
      const result = await runHttpProbe({ url: `${base}/health`, timeoutMs: 2000 });
      expect(result.ok).toBe(cue === 200);
      expect(result.latencyMs).toBeGreaterThanOrEqual(0);
      tracker = stepProbeTracker(tracker, result.ok, settings);
      states.push(tracker.state);
    }
    expect(states).toEqual(['up', 'pending', 'down', 'down', 'down', 'up', 'up']);
    status = 200;
  });

  it('reports a timeout when the server does not answer', async () => {
    hang = true;
    const result = await runHttpProbe({ url: `${base}/health`, timeoutMs: 150 });
    hang = false;
    expect(result).toMatchObject({ ok: false, error: 'no answer within 150 ms' });
  });

  it('reports a refused connection by its code', async () => {
    const port = await freePort();
    const result = await runHttpProbe({ url: `http://127.0.0.1:${port}/health`, timeoutMs: 2000 });
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/ECONNREFUSED/);
  });
});

describe('TCP probe', () => {
  it('is up on a listening port and down on a closed one', async () => {
    const port = (server.address() as AddressInfo).port;
    expect((await runTcpProbe({ host: '127.0.0.1', port, timeoutMs: 2000 })).ok).toBe(true);
    const closed = await freePort();
    const result = await runTcpProbe({ host: '127.0.0.1', port: closed, timeoutMs: 2000 });
    expect(result).toMatchObject({ ok: false, error: `ECONNREFUSED: 127.0.0.1:${closed}` });
  });
});

describe('database probe', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('monprobe');
  });
  afterAll(async () => {
    await db.drop();
  });

  it('runs SELECT 1 on real PostgreSQL', async () => {
    const result = await runDatabaseProbe({ url: db.url, timeoutMs: 5000 });
    expect(result).toMatchObject({ ok: true });
  });

  it('reports 28P01 for a wrong password without printing it', async () => {
    const wrong = 'Wr0ng-Pa55word-for-probe';
    const url = new URL(db.url);
    url.password = wrong;
    const result = await runDatabaseProbe({ url: url.toString(), timeoutMs: 5000 });
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/^28P01: password authentication failed/);
    expect(result.error).not.toContain(wrong);
  });

  it('reports a server that is not there', async () => {
    const port = await freePort();
    const result = await runDatabaseProbe({ url: `postgresql://u:p@127.0.0.1:${port}/x`, timeoutMs: 2000 });
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/ECONNREFUSED/);
  });
});
