import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createRestTransport,
  GcpApiError,
  type GcpTransport,
  listAll,
  PlanTransport,
  renderPlan,
  waitRunOperation,
  waitSqlOperation,
} from '../../../src/gcp/transport/index.js';
import { ManualClock } from '../../../src/kernel/clock.js';
import { FakeGcp } from '../../fakes/gcp/index.js';

const SERVICE = 'projects/p1/locations/europe-west1/services/api';

describe('GCP REST transport over the loopback fake', () => {
  let clock: ManualClock;
  let fake: FakeGcp;
  let sleeps: number[];
  let transport: GcpTransport;

  beforeEach(async () => {
    clock = new ManualClock('2026-03-04T10:00:00Z');
    sleeps = [];
    fake = await FakeGcp.start({ now: () => clock.now() });
    fake.run.seedService(SERVICE, { containers: [{ image: 'europe-docker.pkg.dev/p1/app/api:v1' }] });
    transport = createRestTransport({
      token: async () => 'test-token',
      clock: { sleep: async (ms: number) => void sleeps.push(ms) },
      baseUrl: fake.baseUrl,
      random: () => 0.5,
    });
  });
  afterEach(() => fake.close());

  it('sends the bearer token and returns the JSON body', async () => {
    const service = await transport.request<{ name: string; etag: string }>({
      api: 'run',
      method: 'GET',
      path: `/v2/${SERVICE}`,
    });
    expect(service.name).toBe(SERVICE);
    expect(fake.http.log.at(-1)?.authorization).toBe('Bearer test-token');
  });

  it('retries 429 and 503 with exponential backoff and full jitter, then succeeds', async () => {
    fake.http.inject({ pathIncludes: '/services/api', status: 'UNAVAILABLE', times: 2 });
    fake.http.inject({ pathIncludes: '/services/api', status: 'RESOURCE_EXHAUSTED', times: 1 });
    await transport.request({ api: 'run', method: 'GET', path: `/v2/${SERVICE}` });
    // base 500 ms · 2^n, capped, times random() = 0.5
    expect(sleeps).toEqual([250, 500, 1000]);
    expect(fake.http.log.map((l) => l.status)).toEqual([503, 503, 429, 200]);
  });

  it('gives up after the attempts and throws a typed error with HTTP and Google status', async () => {
    fake.http.inject({ pathIncludes: '/services/api', status: 'UNAVAILABLE', times: 10 });
    const error = await transport.request({ api: 'run', method: 'GET', path: `/v2/${SERVICE}` }).then(
      () => undefined as never,
      (e: GcpApiError) => e,
    );
    expect(error).toBeInstanceOf(GcpApiError);
    expect(error).toMatchObject({
      code: 'PRODGUARD_GCP_UNAVAILABLE',
      httpStatus: 503,
      googleStatus: 'UNAVAILABLE',
    });
    expect(error.message).toContain('after 5 attempts');
    expect(sleeps).toHaveLength(4);
  });

  it('does not retry a write on 500 (it may have been applied)', async () => {
    fake.http.inject({ method: 'PATCH', status: 'INTERNAL' });
    const error = await transport
      .request({
        api: 'run',
        method: 'PATCH',
        path: `/v2/${SERVICE}`,
        query: { updateMask: 'labels' },
        body: { labels: {} },
      })
      .then(
        () => undefined as never,
        (e: GcpApiError) => e,
      );
    expect(error).toMatchObject({ httpStatus: 500, googleStatus: 'INTERNAL' });
    expect(sleeps).toEqual([]);
  });

  it('maps 409 ABORTED (etag mismatch) and 404 to stable codes', async () => {
    const conflict = await transport
      .request({
        api: 'run',
        method: 'PATCH',
        path: `/v2/${SERVICE}`,
        query: { updateMask: 'labels' },
        body: { labels: {}, etag: '"stale"' },
      })
      .then(
        () => undefined as never,
        (e: GcpApiError) => e,
      );
    expect(conflict).toMatchObject({
      code: 'PRODGUARD_GCP_CONFLICT',
      httpStatus: 409,
      googleStatus: 'ABORTED',
    });
    const missing = await transport.request({ api: 'run', method: 'GET', path: `/v2/${SERVICE}x` }).then(
      () => undefined as never,
      (e: GcpApiError) => e,
    );
    expect(missing).toMatchObject({
      code: 'PRODGUARD_GCP_NOT_FOUND',
      httpStatus: 404,
      googleStatus: 'NOT_FOUND',
    });
  });

  it('masks the secret values a call carries in its error', async () => {
    fake.http.inject({ status: 'INVALID_ARGUMENT', message: 'bad password hunter2-very-secret given' });
    const error = await transport
      .request({
        api: 'sqladmin',
        method: 'PUT',
        path: '/v1/projects/p1/instances/db/users',
        query: { name: 'app' },
        body: { name: 'app', password: 'hunter2-very-secret' },
        secrets: ['hunter2-very-secret'],
      })
      .then(
        () => undefined as never,
        (e: GcpApiError) => e,
      );
    expect(error.message).not.toContain('hunter2-very-secret');
    expect(error.message).toContain('[redacted]');
  });

  it('times out a call that gets no answer', async () => {
    fake.http.route('GET', /^\/v2\/slow$/, () => new Promise((r) => setTimeout(() => r({}), 2_000)));
    const slow = createRestTransport({
      token: async () => 't',
      clock: { sleep: async () => {} },
      baseUrl: fake.baseUrl,
      timeoutMs: 100,
      retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
    });
    const error = await slow.request({ api: 'run', method: 'GET', path: '/v2/slow' }).then(
      () => undefined as never,
      (e: GcpApiError) => e,
    );
    expect(error).toMatchObject({ code: 'PRODGUARD_GCP_UNAVAILABLE', httpStatus: 0 });
    expect(error.message).toContain('no answer within 100 ms');
  });

  it('follows nextPageToken to the end', async () => {
    for (let i = 0; i < 4; i++)
      await transport.request({
        api: 'secretmanager',
        method: 'POST',
        path: '/v1/projects/p1/secrets',
        query: { secretId: `S${i}` },
        body: { replication: { automatic: {} } },
      });
    const all = await listAll(async (pageToken) => {
      const page = await transport.request<{ secrets?: { name: string }[]; nextPageToken?: string }>({
        api: 'secretmanager',
        method: 'GET',
        path: '/v1/projects/p1/secrets',
        query: { pageSize: 3, pageToken },
      });
      return { items: page.secrets, nextPageToken: page.nextPageToken };
    });
    expect(all.map((s) => s.name.split('/').pop())).toEqual(['S0', 'S1', 'S2', 'S3']);
  });

  it('polls Cloud Run and Cloud SQL operations until done, and surfaces a failed one', async () => {
    const op = await transport.request<{ name: string; done: boolean }>({
      api: 'run',
      method: 'PATCH',
      path: `/v2/${SERVICE}`,
      query: { updateMask: 'labels' },
      body: { labels: { team: 'a' } },
    });
    expect(op.done).toBe(false);
    const service = await waitRunOperation<{ labels: Record<string, string> }>(transport, op, {
      clock,
      timeoutMs: 60_000,
    });
    expect(service.labels).toEqual({ team: 'a' });

    const bad = await transport.request<{ name: string; done: boolean }>({
      api: 'run',
      method: 'PATCH',
      path: `/v2/${SERVICE}`,
      query: { updateMask: 'template' },
      body: { template: { revision: 'api-bad', containers: [{ image: 'x/unhealthy:1' }] } },
    });
    await expect(waitRunOperation(transport, bad, { clock, timeoutMs: 60_000 })).rejects.toMatchObject({
      code: 'PRODGUARD_GCP_OPERATION_FAILED',
    });

    fake.sql.seedInstance('p1', 'db');
    fake.sql.seedUser('p1', 'db', 'app', 'old');
    const sqlOp = await transport.request<{ name: string; status: 'PENDING' }>({
      api: 'sqladmin',
      method: 'PUT',
      path: '/v1/projects/p1/instances/db/users',
      query: { name: 'app' },
      body: { name: 'app', password: 'new-password-1' },
      secrets: ['new-password-1'],
    });
    const done = await waitSqlOperation(transport, 'p1', sqlOp, { clock, timeoutMs: 60_000 });
    expect(done.status).toBe('DONE');
  });

  it('gives up polling at the deadline with PRODGUARD_GCP_OPERATION_TIMEOUT', async () => {
    await expect(
      waitSqlOperation(
        { mode: 'live', request: async () => ({ name: 'op', status: 'RUNNING' }) as never },
        'p1',
        { name: 'op', status: 'PENDING' },
        { clock, timeoutMs: 10_000, intervalMs: 1_000 },
      ),
    ).rejects.toMatchObject({ code: 'PRODGUARD_GCP_OPERATION_TIMEOUT' });
  });
});

describe('plan transport', () => {
  it('records writes with secrets masked, sends only reads, and answers writes with finished operations', async () => {
    const clock = new ManualClock('2026-03-04T10:00:00Z');
    const fake = await FakeGcp.start({ now: () => clock.now() });
    try {
      fake.run.seedService(SERVICE, { containers: [{ image: 'img:v1' }] });
      const reads = createRestTransport({ token: async () => 't', clock, baseUrl: fake.baseUrl });
      const plan = new PlanTransport({ reads });
      const service = await plan.request<{ etag: string }>({
        api: 'run',
        method: 'GET',
        path: `/v2/${SERVICE}`,
      });
      const op = await plan.request<{ name: string; done: boolean }>({
        api: 'run',
        method: 'PATCH',
        path: `/v2/${SERVICE}`,
        query: { updateMask: 'traffic' },
        body: { traffic: [], etag: service.etag },
      });
      expect(op.done).toBe(true);
      await plan.request({
        api: 'secretmanager',
        method: 'POST',
        path: '/v1/projects/p1/secrets/DB:addVersion',
        body: { payload: { data: Buffer.from('s3cret-value-123').toString('base64') } },
        secrets: ['s3cret-value-123'],
      });
      await plan.request({
        api: 'sqladmin',
        method: 'PUT',
        path: '/v1/projects/p1/instances/db/users',
        query: { name: 'app' },
        body: { name: 'app', password: 's3cret-value-123' },
        secrets: ['s3cret-value-123'],
      });
      expect(fake.http.log.map((l) => l.method)).toEqual(['GET']);
      const text = renderPlan(plan.calls);
      expect(text).not.toContain('s3cret-value-123');
      expect(text).not.toContain(Buffer.from('s3cret-value-123').toString('base64'));
      expect(text).toMatchInlineSnapshot(`
        "PATCH https://run.googleapis.com/v2/projects/p1/locations/europe-west1/services/api?updateMask=traffic
          {"traffic":[],"etag":"\\"api-1\\""}
        POST https://secretmanager.googleapis.com/v1/projects/p1/secrets/DB:addVersion
          {"payload":{"data":"[redacted]"}}
        PUT https://sqladmin.googleapis.com/v1/projects/p1/instances/db/users?name=app
          {"name":"app","password":"[redacted]"}"
      `);
    } finally {
      await fake.close();
    }
  });
});
