import { beforeEach, describe, expect, it } from 'vitest';
import { InMemoryPlatform } from '../../../deploy/testing/in-memory-platform.js';
import { ManualClock } from '../../../kernel/clock.js';
import type { Revision, Service } from '../../platform.js';
import type { AgentErrorBody } from './agent-api-error.js';
import { createAgentApp } from './create-agent-app.js';

const TOKEN = 'test-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
const release = { commit: 'a'.repeat(40), digest: `sha256:${'b'.repeat(64)}` };

interface Harness {
  platform: InMemoryPlatform;
  app: ReturnType<typeof createAgentApp>;
  logged: { level: string; message: string }[];
  shutdowns: number;
  shutdown: Promise<void>;
}

function harness(
  platform = new InMemoryPlatform({ clock: new ManualClock(), services: ['staging'] }),
): Harness {
  const logged: Harness['logged'] = [];
  let resolveShutdown!: () => void;
  const h: Harness = {
    platform,
    logged,
    shutdowns: 0,
    shutdown: new Promise<void>((r) => {
      resolveShutdown = r;
    }),
    app: undefined as never,
  };
  h.app = createAgentApp({
    platform,
    prometheus: async () => ({ contentType: 'text/plain; version=0.0.4', text: 'prodguard_up 1\n' }),
    token: TOKEN,
    info: { pid: 4242, startedAt: '2026-01-01T00:00:00.000Z', version: 1 },
    log: {
      error: (message) => logged.push({ level: 'error', message }),
      debug: (message) => logged.push({ level: 'debug', message }),
    },
    onShutdown: () => {
      h.shutdowns += 1;
      resolveShutdown();
    },
  });
  return h;
}

function call(h: Harness, method: string, path: string, body?: string | object) {
  return h.app.request(path, {
    method,
    headers: { ...auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
}

async function errorOf(response: Response): Promise<AgentErrorBody> {
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await response.json()) as AgentErrorBody;
  expect(JSON.stringify(body)).not.toMatch(/\n\s+at /); // never a stack
  return body;
}

async function readyRevision(h: Harness): Promise<Revision> {
  const created = (await (
    await call(h, 'POST', '/v2/services/staging/revisions', { service: 'staging', release, env: {} })
  ).json()) as Revision;
  const ready = await call(h, 'POST', `/v2/services/staging/revisions/${created.name}:waitReady`, {
    timeoutMs: 1000,
  });
  expect(ready.status).toBe(200);
  return (await ready.json()) as Revision;
}

describe('agent API: authorization', () => {
  it('answers 401 without the token or with a wrong one, on every path, /metrics and unknown ones included', async () => {
    const h = harness();
    for (const path of ['/v2/services', '/v2/agent', '/metrics', '/v2/services/staging/traffic', '/nope']) {
      for (const headers of <Record<string, string>[]>[
        {},
        { authorization: 'Bearer wrong' },
        { authorization: TOKEN },
      ]) {
        const response = await h.app.request(path, { headers });
        expect(response.status, `${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(response.headers.get('www-authenticate')).toBe('Bearer');
        expect((await errorOf(response)).code).toBe('PRODGUARD_PLATFORM_UNAUTHORIZED');
      }
    }
  });
});

describe('agent API: routes', () => {
  let h: Harness;
  beforeEach(() => {
    h = harness();
  });

  it('GET /v2/agent says who is running', async () => {
    const response = await call(h, 'GET', '/v2/agent');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ pid: 4242, startedAt: '2026-01-01T00:00:00.000Z', version: 1 });
  });

  it('POST /v2/agent:shutdown answers, then asks the agent to stop', async () => {
    const response = await call(h, 'POST', '/v2/agent:shutdown');
    expect(await response.json()).toEqual({ stopping: true });
    await h.shutdown;
    expect(h.shutdowns).toBe(1);
  });

  it('GET /v2/services and /v2/services/{service}', async () => {
    const list = (await (await call(h, 'GET', '/v2/services')).json()) as { services: Service[] };
    expect(list.services.map((s) => s.name)).toEqual(['staging']);
    const one = (await (await call(h, 'GET', '/v2/services/staging')).json()) as Service;
    expect(one).toMatchObject({ name: 'staging', traffic: [] });
  });

  it('creates, lists, reads, waits for, stops and restarts revisions', async () => {
    const created = await call(h, 'POST', '/v2/services/staging/revisions', {
      service: 'staging',
      release,
      env: { GREETING: 'hi' },
      secrets: { DB_PASSWORD: { version: 3, envVar: 'DB_PASSWORD' } },
      labels: { operation: 'op-1' },
    });
    expect(created.status).toBe(200);
    const revision = (await created.json()) as Revision;
    expect(revision).toMatchObject({
      service: 'staging',
      state: 'starting',
      secretVersions: { DB_PASSWORD: 3 },
      labels: { operation: 'op-1' },
    });
    // The service may also come from the path alone.
    const second = await call(h, 'POST', '/v2/services/staging/revisions', { release, env: {} });
    expect(((await second.json()) as Revision).service).toBe('staging');

    const listed = (await (await call(h, 'GET', '/v2/services/staging/revisions')).json()) as {
      revisions: Revision[];
    };
    expect(listed.revisions.map((r) => r.name)).toContain(revision.name);
    const read = (await (
      await call(h, 'GET', `/v2/services/staging/revisions/${revision.name}`)
    ).json()) as Revision;
    expect(read.name).toBe(revision.name);

    const waited = await call(h, 'POST', `/v2/services/staging/revisions/${revision.name}:waitReady`, {
      timeoutMs: 5000,
    });
    expect(((await waited.json()) as Revision).state).toBe('ready');
    // No body: the default timeout.
    const waitedDefault = await call(h, 'POST', `/v2/services/staging/revisions/${revision.name}:waitReady`);
    expect(waitedDefault.status).toBe(200);

    const stopped = await call(h, 'POST', `/v2/services/staging/revisions/${revision.name}:stop`);
    expect(((await stopped.json()) as Revision).state).toBe('stopped');
    const started = await call(h, 'POST', `/v2/services/staging/revisions/${revision.name}:start`, {});
    expect(started.status).toBe(200);
    expect(((await started.json()) as Revision).state).not.toBe('stopped');
  });

  it('PUT traffic replaces the split; PUT maintenance turns the page on and off', async () => {
    const a = await readyRevision(h);
    const traffic = await call(h, 'PUT', '/v2/services/staging/traffic', {
      targets: [{ revision: a.name, percent: 100, tag: 'blue' }],
    });
    expect(traffic.status).toBe(200);
    expect(((await traffic.json()) as Service).traffic).toEqual([
      { revision: a.name, percent: 100, tag: 'blue' },
    ]);

    const on = await call(h, 'PUT', '/v2/services/staging/maintenance', {
      settings: { message: 'DB upgrade', until: '2026-01-07T12:00:00Z' },
    });
    expect(((await on.json()) as Service).maintenance).toEqual({
      message: 'DB upgrade',
      until: '2026-01-07T12:00:00Z',
    });
    const off = await call(h, 'PUT', '/v2/services/staging/maintenance', { settings: null });
    expect(((await off.json()) as Service).maintenance).toBeUndefined();
  });

  it('GET metrics as JSON (window from the query, 60 s by default) and as Prometheus text', async () => {
    await readyRevision(h);
    const windowed = (await (await call(h, 'GET', '/v2/services/staging/metrics?windowMs=30000')).json()) as {
      metrics: { windowMs: number }[];
    };
    expect(windowed.metrics).toHaveLength(1);
    const byDefault = await call(h, 'GET', '/v2/services/staging/metrics');
    expect(byDefault.status).toBe(200);
    const prometheus = await call(h, 'GET', '/metrics');
    expect(prometheus.headers.get('content-type')).toBe('text/plain; version=0.0.4');
    expect(await prometheus.text()).toBe('prodguard_up 1\n');
  });
});

describe('agent API: malformed requests are 400s naming the field', () => {
  let h: Harness;
  beforeEach(() => {
    h = harness();
  });

  async function badRequest(response: Response): Promise<string> {
    expect(response.status).toBe(400);
    const body = await errorOf(response);
    expect(body).toMatchObject({ code: 'PRODGUARD_PLATFORM_BAD_REQUEST', kind: 'usage' });
    expect(body.hint).toBeTruthy();
    return body.message;
  }

  it('a malformed percent escape in a path parameter', async () => {
    expect(await badRequest(await call(h, 'GET', '/v2/services/%E0%A4%A'))).toBe(
      'Invalid path GET /v2/services/%E0%A4%A: :service: "%E0%A4%A" has a malformed percent escape.',
    );
    expect(await badRequest(await call(h, 'GET', '/v2/services/st%ZZ/revisions'))).toContain(':service:');
    expect(await badRequest(await call(h, 'POST', '/v2/services/staging/revisions/r%C3:stop'))).toContain(
      ':target: "r%C3" has a malformed percent escape',
    );
    expect(await badRequest(await call(h, 'GET', '/v2/services/staging/revisions/%'))).toContain(':target:');
  });

  it('a wrong body shape', async () => {
    const message = await badRequest(
      await call(h, 'PUT', '/v2/services/staging/traffic', {
        targets: [
          { revision: 'a', percent: 50 },
          { revision: 'b', percent: '50' },
        ],
      }),
    );
    expect(message).toBe(
      'Invalid body of PUT /v2/services/staging/traffic: targets[1].percent: Expected number, received string.',
    );
    expect(
      await badRequest(await call(h, 'PUT', '/v2/services/staging/traffic', { targets: 'all' })),
    ).toContain('targets: Expected array, received string');
    expect(
      await badRequest(
        await call(h, 'POST', '/v2/services/staging/revisions', { release: { commit: 'abc' } }),
      ),
    ).toMatch(/release\.digest: Expected string, received undefined; env: Expected record/);
    expect(
      await badRequest(
        await call(h, 'POST', '/v2/services/staging/revisions', {
          release,
          env: {},
          secrets: { DB: { version: -1, envVar: 'DB' } },
        }),
      ),
    ).toContain('secrets.DB.version:');
  });

  it('a null body, an array body, a body that is not JSON, and unknown fields', async () => {
    expect(await badRequest(await call(h, 'PUT', '/v2/services/staging/traffic', 'null'))).toBe(
      'Invalid body of PUT /v2/services/staging/traffic: body: Expected object, received null.',
    );
    expect(await badRequest(await call(h, 'POST', '/v2/services/staging/revisions', 'null'))).toContain(
      'body: Expected object, received null',
    );
    expect(await badRequest(await call(h, 'PUT', '/v2/services/staging/maintenance', '[]'))).toContain(
      'body: Expected object, received array',
    );
    expect(await badRequest(await call(h, 'POST', '/v2/agent:shutdown', 'null'))).toContain('body:');
    expect(
      await badRequest(
        await call(h, 'PUT', '/v2/services/staging/traffic', '{"targets": [ {"revision": "hunter2-value"'),
      ),
    ).toBe('Invalid body of PUT /v2/services/staging/traffic: body: Not valid JSON.');
    expect(
      await badRequest(await call(h, 'PUT', '/v2/services/staging/traffic', { targets: [], extra: 1 })),
    ).toContain('body: Unknown field extra');
  });

  it('a maintenance body without settings, or with an end time that is not a time', async () => {
    expect(await badRequest(await call(h, 'PUT', '/v2/services/staging/maintenance', {}))).toContain(
      'settings: Expected object, received undefined',
    );
    expect(
      await badRequest(
        await call(h, 'PUT', '/v2/services/staging/maintenance', {
          settings: { message: 'x', until: 'soon' },
        }),
      ),
    ).toContain('settings.until: Expected an ISO 8601 time');
  });

  it('a service in the body that differs from the path', async () => {
    expect(
      await badRequest(
        await call(h, 'POST', '/v2/services/staging/revisions', { service: 'production', release, env: {} }),
      ),
    ).toContain('service: "production" does not match the path\'s "staging"');
  });

  it('negative, huge or non-numeric timeouts and metric windows', async () => {
    const a = await readyRevision(h);
    const wait = (body: unknown) =>
      call(h, 'POST', `/v2/services/staging/revisions/${a.name}:waitReady`, JSON.stringify(body));
    expect(await badRequest(await wait({ timeoutMs: -1 }))).toContain(
      'timeoutMs: Expected a timeout of 0 ms or more',
    );
    expect(await badRequest(await wait({ timeoutMs: 1e20 }))).toContain(
      'timeoutMs: Expected a timeout of at most',
    );
    expect(await badRequest(await wait({ timeoutMs: 'NaN' }))).toContain(
      'timeoutMs: Expected number, received string',
    );
    // JSON has no NaN: JSON.stringify turns it into null.
    expect(await badRequest(await wait({ timeoutMs: Number.NaN }))).toContain(
      'timeoutMs: Expected number, received null',
    );
    for (const windowMs of ['-5', '0', 'NaN', 'abc', 'Infinity', '1e20']) {
      expect(
        await badRequest(await call(h, 'GET', `/v2/services/staging/metrics?windowMs=${windowMs}`)),
        windowMs,
      ).toContain('windowMs:');
    }
  });

  it('bodies over 1 MiB get 413', async () => {
    const response = await call(h, 'POST', '/v2/services/staging/revisions', {
      release,
      env: { BIG: 'x'.repeat(1024 * 1024) },
    });
    expect(response.status).toBe(413);
    expect((await errorOf(response)).code).toBe('PRODGUARD_PLATFORM_BODY_TOO_LARGE');
  });
});

describe('agent API: routes that do not exist, methods that do not apply', () => {
  const h = harness();

  it('an unknown route is a JSON 404', async () => {
    for (const path of ['/nope', '/v2/services/staging/nope', '/v2/agent:reboot']) {
      const response = await call(h, 'GET', path);
      expect(response.status, path).toBe(404);
      expect(await errorOf(response)).toMatchObject({
        code: 'PRODGUARD_PLATFORM_ROUTE_NOT_FOUND',
        kind: 'usage',
      });
    }
    const verb = await call(h, 'POST', '/v2/services/staging/revisions/r1:explode');
    expect(verb.status).toBe(404);
    expect((await errorOf(verb)).message).toBe(
      'No custom method "explode" in /v2/services/staging/revisions/r1:explode.',
    );
  });

  it('a wrong method is a JSON 405 with Allow', async () => {
    const cases: [string, string, string][] = [
      ['DELETE', '/v2/services', 'GET, HEAD'],
      ['GET', '/v2/services/staging/traffic', 'PUT'],
      ['POST', '/v2/services/staging/maintenance', 'PUT'],
      ['PUT', '/v2/services/staging/revisions', 'GET, HEAD, POST'],
      ['GET', '/v2/agent:shutdown', 'POST'],
      ['GET', '/v2/services/staging/revisions/r1:waitReady', 'POST'],
      ['POST', '/v2/services/staging/revisions/r1', 'GET, HEAD'],
    ];
    for (const [method, path, allow] of cases) {
      const response = await call(h, method, path);
      expect(response.status, `${method} ${path}`).toBe(405);
      expect(response.headers.get('allow'), `${method} ${path}`).toBe(allow);
      expect(await errorOf(response)).toMatchObject({
        code: 'PRODGUARD_PLATFORM_METHOD_NOT_ALLOWED',
        kind: 'usage',
      });
    }
  });
});

describe('agent API: errors from the platform', () => {
  it('maps ProdguardError codes to statuses and keeps code, message and hint', async () => {
    const h = harness();
    const missing = await call(h, 'GET', '/v2/services/production');
    expect(missing.status).toBe(404);
    expect(await errorOf(missing)).toMatchObject({
      code: 'PRODGUARD_PLATFORM_SERVICE_NOT_FOUND',
      kind: 'usage',
      hint: expect.any(String),
    });
    const sum = await call(h, 'PUT', '/v2/services/staging/traffic', {
      targets: [{ revision: 'x', percent: 50 }],
    });
    expect(sum.status).toBe(400); // no such revision, and 50 % is not 100 %
    expect((await errorOf(sum)).code).toBe('PRODGUARD_PLATFORM_TRAFFIC_INVALID');
    const a = await readyRevision(h);
    const half = await call(h, 'PUT', '/v2/services/staging/traffic', {
      targets: [{ revision: a.name, percent: 50 }],
    });
    expect(half.status).toBe(400);
    expect((await errorOf(half)).code).toBe('PRODGUARD_PLATFORM_TRAFFIC_INVALID');
    const b = (await (
      await call(h, 'POST', '/v2/services/staging/revisions', { release, env: {} })
    ).json()) as Revision;
    const notReady = await call(h, 'PUT', '/v2/services/staging/traffic', {
      targets: [{ revision: b.name, percent: 100 }],
    });
    expect(notReady.status).toBe(409);
    expect((await errorOf(notReady)).code).toBe('PRODGUARD_PLATFORM_NOT_READY');
  });

  it('an unexpected error is a 500 without detail, logged with its stack', async () => {
    class Broken extends InMemoryPlatform {
      override async listServices(): Promise<Service[]> {
        throw new TypeError('database.adminUrl.replace is not a function');
      }
    }
    const h = harness(new Broken({ clock: new ManualClock(), services: ['staging'] }));
    const response = await call(h, 'GET', '/v2/services');
    expect(response.status).toBe(500);
    const body = await errorOf(response);
    expect(body.code).toBe('PRODGUARD_INTERNAL');
    expect(body.kind).toBe('internal');
    expect(body.message).toMatch(/^Internal agent error \(see the agent log, request [\w-]+\)\.$/);
    expect(JSON.stringify(body)).not.toContain('adminUrl');
    expect(h.logged).toHaveLength(1);
    expect(h.logged[0]!.level).toBe('error');
    expect(h.logged[0]!.message).toContain('TypeError: database.adminUrl.replace is not a function');
    expect(h.logged[0]!.message).toMatch(/\n\s+at /);
  });

  it('a caller that went away (aborted waitReady) is logged at debug, not as an error', async () => {
    const h = harness();
    h.platform.behave(release.digest, { neverReady: true });
    const created = (await (
      await call(h, 'POST', '/v2/services/staging/revisions', { release, env: {} })
    ).json()) as Revision;
    const gone = new AbortController();
    // @hono/node-server aborts with a string reason when the socket closes early.
    gone.abort('Client connection prematurely closed.');
    const response = await h.app.request(`/v2/services/staging/revisions/${created.name}:waitReady`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ timeoutMs: 1000 }),
      signal: gone.signal,
    });
    expect(response.status).toBe(499);
    expect(h.logged.map((l) => l.level)).toEqual(['debug']);
    expect(h.logged[0]!.message).toContain(':waitReady abandoned by the client');
  });
});
