import { readFileSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Revision } from '../../../src/platform/index.js';
import { createPlatformFixture, httpGet, type PlatformFixture } from './platform-fixture.js';

describe('local platform: routing', () => {
  let f: PlatformFixture;
  let a: Revision;
  let b: Revision;
  let routerUrl: string;

  beforeAll(async () => {
    f = await createPlatformFixture();
    a = await f.revision(await f.commit({ version: 'a' }));
    b = await f.revision(await f.commit({ version: 'b' }));
    routerUrl = (await f.platform.getService('staging')).url;
  });
  afterAll(async () => {
    await f?.close();
  });

  it('answers 401 to every API call without the right token; the token file is 0600', async () => {
    for (const path of ['/v2/services', '/v2/agent', '/metrics', '/v2/services/staging/traffic']) {
      expect((await httpGet(`${f.agent.url}${path}`)).status).toBe(401);
      expect((await httpGet(`${f.agent.url}${path}`, { authorization: 'Bearer wrong' })).status).toBe(401);
    }
    expect(statSync(f.agent.paths.token).mode & 0o777).toBe(0o600);
  });

  it('answers malformed API calls with a JSON 400 naming the field, over the socket and through the client', async () => {
    const before = (await f.platform.getService('staging')).traffic;
    const authorization = `Bearer ${readFileSync(f.agent.paths.token, 'utf8').trim()}`;
    const raw = async (method: 'GET' | 'PUT', path: string, body?: string) => {
      const res = await request(`${f.agent.url}${path}`, {
        method,
        headers: { authorization, 'content-type': 'application/json' },
        ...(body !== undefined ? { body } : {}),
      });
      return { status: res.statusCode, body: (await res.body.json()) as { code: string; message: string } };
    };
    const badEscape = await raw('GET', '/v2/services/%E0%A4%A/revisions');
    expect(badEscape.status).toBe(400);
    expect(badEscape.body.message).toContain(':service: "%E0%A4%A" has a malformed percent escape');
    const nullBody = await raw('PUT', '/v2/services/staging/traffic', 'null');
    expect(nullBody).toMatchObject({ status: 400, body: { code: 'PRODGUARD_PLATFORM_BAD_REQUEST' } });
    expect(nullBody.body.message).toContain('body: Expected object, received null');
    const wrongMethod = await raw('PUT', '/v2/services');
    expect(wrongMethod).toMatchObject({
      status: 405,
      body: { code: 'PRODGUARD_PLATFORM_METHOD_NOT_ALLOWED' },
    });
    // The client turns the answer back into the same error.
    await expect(f.platform.waitReady('staging', a.name, -5)).rejects.toMatchObject({
      code: 'PRODGUARD_PLATFORM_BAD_REQUEST',
      kind: 'usage',
      message: expect.stringContaining('timeoutMs: Expected a timeout of 0 ms or more'),
    });
    // The refused traffic call left the split as it was.
    expect((await f.platform.getService('staging')).traffic).toEqual(before);
  });

  it('a new revision gets no traffic but answers at its own URL, with the env from config', async () => {
    expect(b.state).toBe('ready');
    const direct = await httpGet(`${b.url}/`);
    expect(direct.body).toBe('b\n');
    expect(direct.headers['x-prodguard-revision']).toBe(b.name);
    expect(JSON.parse((await httpGet(`${b.url}/env`)).body)).toEqual({
      DB_HOST: null,
      GREETING: 'hello staging',
      DB_PASSWORD_SHA256: null,
      DATABASE_URL_SHA256: null,
      HAS_PARENT_SECRET: false,
    });
    expect((await httpGet(`${routerUrl}/`)).status).toBe(503);
  });

  it('splits traffic by weight, deterministically', async () => {
    await f.platform.setTraffic('staging', [
      { revision: a.name, percent: 80 },
      { revision: b.name, percent: 20 },
    ]);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 100; i++) {
      const res = await httpGet(`${routerUrl}/`);
      expect(res.status).toBe(200);
      const rev = res.headers['x-prodguard-revision'] as string;
      counts[rev] = (counts[rev] ?? 0) + 1;
      expect(res.body).toBe(rev === a.name ? 'a\n' : 'b\n');
    }
    expect(counts).toEqual({ [a.name]: 80, [b.name]: 20 });
  });

  it('streams bodies both ways and pins a revision with the X-Prodguard-Revision header', async () => {
    const dispatcher = new Agent({ keepAliveTimeout: 10_000 });
    const echo = await request(`${routerUrl}/echo`, {
      method: 'POST',
      body: 'x'.repeat(200_000),
      dispatcher,
    });
    expect((await echo.body.text()).length).toBe(200_000);
    const stream = await request(`${routerUrl}/stream`, { dispatcher });
    expect(await stream.body.text()).toBe('chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\n');
    const pinned = await httpGet(`${routerUrl}/`, { 'x-prodguard-revision': b.name });
    expect(pinned.body).toBe('b\n');
    await dispatcher.close();
  });

  it('forwards a chunked upload sent with Expect: 100-continue (as curl does for large bodies)', async () => {
    const { port } = new URL(routerUrl);
    const answer = await new Promise<{ status: number; body: string; revision: unknown }>(
      (resolve, reject) => {
        const req = httpRequest({
          host: '127.0.0.1',
          port: Number(port),
          path: '/echo',
          method: 'POST',
          headers: { expect: '100-continue', 'transfer-encoding': 'chunked', 'x-prodguard-revision': a.name },
        });
        req.on('continue', () => {
          req.write('part one, ');
          req.end('part two');
        });
        req.on('response', (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            body += c;
          });
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body, revision: res.headers['x-prodguard-revision'] }),
          );
        });
        req.on('error', reject);
      },
    );
    expect(answer).toEqual({ status: 200, body: 'part one, part two', revision: a.name });
  });

  it('reports per-revision metrics as JSON and Prometheus text', async () => {
    const metrics = await f.platform.getMetrics('staging', 60_000);
    const ofA = metrics.find((m) => m.revision === a.name)!;
    expect(ofA.requests).toBeGreaterThanOrEqual(80);
    expect(ofA.byStatus['2xx']).toBe(ofA.requests);
    expect(ofA.errorRate).toBe(0);
    expect(ofA.p95Ms).toBeGreaterThan(0);
    expect(ofA.inFlight).toBe(0);
    const prom = await f.platform.prometheus();
    expect(prom).toContain(
      `prodguard_router_requests_total{service="staging",revision="${a.name}",status_class="2xx"}`,
    );
    expect(prom).toContain('prodguard_router_request_duration_seconds_bucket');
  });

  it('refuses traffic to unknown revisions and bad splits', async () => {
    await expect(f.platform.setTraffic('staging', [{ revision: a.name, percent: 50 }])).rejects.toMatchObject(
      {
        code: 'PRODGUARD_PLATFORM_TRAFFIC_INVALID',
      },
    );
    await expect(f.platform.getService('nope')).rejects.toMatchObject({
      code: 'PRODGUARD_PLATFORM_SERVICE_NOT_FOUND',
    });
  });
});
