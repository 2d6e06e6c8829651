import type { Agent as HttpAgent } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RevisionInstance } from '../../../src/platform/local/revision-instance.js';
import { ServiceRouter } from '../../../src/platform/local/service-router.js';
import type { StatusClass } from '../../../src/platform/local/sliding-metrics.js';
import { SlidingMetrics } from '../../../src/platform/local/sliding-metrics.js';
import { UpstreamAgent } from '../../../src/platform/local/upstream-pool.js';

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

/**
 * The router's relay against a raw loopback app whose answers are written byte by byte per path, so the
 * framing cases (pipelining, close-delimited bodies, resets on reused connections, early answers) are exact.
 */
describe('service router: the relay path', () => {
  let app: Server;
  let router: ServiceRouter;
  let port: number;
  let instance: RevisionInstance;
  const observed: StatusClass[] = [];
  const upstreamConnections: Socket[] = [];
  const requestsOnConnection = new WeakMap<Socket, number>();
  /** Every request path the app read, in order. */
  const seenPaths: string[] = [];

  beforeAll(async () => {
    app = createServer((socket) => {
      upstreamConnections.push(socket);
      let buf = '';
      socket.on('error', () => {});
      socket.on('data', (chunk) => {
        buf += chunk.toString('latin1');
        for (;;) {
          const end = buf.indexOf('\r\n\r\n');
          if (end < 0) return;
          const head = buf.slice(0, end);
          const length = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? 0);
          const path = head.split(' ')[1]!;
          seenPaths.push(path);
          if (path === '/stuck') {
            // Reads 1 MiB of the upload, then stops reading (the router's writes back up), answers, never reads again.
            if (buf.length < 1024 * 1024) return;
            buf = '';
            socket.pause();
            socket.write('HTTP/1.1 413 Payload Too Large\r\ncontent-length: 4\r\n\r\nbig\n');
            return;
          }
          if (path === '/early') {
            // Answers before the upload is over, then reads the rest away.
            buf = '';
            socket.write('HTTP/1.1 413 Payload Too Large\r\ncontent-length: 4\r\n\r\nbig\n');
            return;
          }
          if (buf.length < end + 4 + length) return;
          const body = buf.slice(end + 4, end + 4 + length);
          buf = buf.slice(end + 4 + length);
          const n = (requestsOnConnection.get(socket) ?? 0) + 1;
          requestsOnConnection.set(socket, n);
          answer(socket, path, head, body, n);
        }
      });
    });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    const appPort = (app.address() as { port: number }).port;
    instance = {
      name: 'web-1',
      spec: { service: 'web' },
      state: 'ready',
      appPort,
      upgraded: new Set(),
      httpAgent: new UpstreamAgent({ keepAlive: true, maxFree: 64, idleMs: 4000 }),
      metrics: new SlidingMetrics({ nowMs: () => Date.now() }),
    } as unknown as RevisionInstance;
    router = new ServiceRouter({
      service: 'web',
      nowMs: () => Date.now(),
      lookup: (name) => (name === 'web-1' ? instance : undefined),
      observe: (_i, statusClass) => observed.push(statusClass),
    });
    router.setTraffic([{ revision: 'web-1', percent: 100 }]);
    port = await router.listen(0);
  });
  afterAll(async () => {
    await router?.close();
    (instance?.httpAgent as HttpAgent | undefined)?.destroy();
    // The app's side of the stuck upload never reads the router's close: end it here.
    for (const socket of upstreamConnections) socket.destroy();
    await new Promise((resolve) => app?.close(resolve));
  });

  function answer(socket: Socket, path: string, head: string, body: string, n: number): void {
    switch (path) {
      case '/echo':
        socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
        return;
      case '/head-echo':
        socket.write(
          `HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${head.length}\r\n\r\n${head}`,
        );
        return;
      case '/chunked':
        socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n');
        setTimeout(() => socket.write('2\r\nde\r\n0\r\n\r\n'), 5);
        return;
      case '/binary':
        // Every byte value, in one answer with its head: it must reach the client unchanged.
        socket.write(
          Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 256\r\n\r\n'), ALL_BYTES]),
        );
        return;
      case '/binary-streamed':
        // The same bytes streamed in two chunks, the second one later: relayed chunk by chunk.
        socket.write(
          Buffer.concat([
            Buffer.from('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n80\r\n'),
            ALL_BYTES.subarray(0, 128),
            Buffer.from('\r\n'),
          ]),
        );
        setTimeout(
          () =>
            socket.write(
              Buffer.concat([Buffer.from('80\r\n'), ALL_BYTES.subarray(128), Buffer.from('\r\n0\r\n\r\n')]),
            ),
          5,
        );
        return;
      case '/until-close':
        socket.end('HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nall of it');
        return;
      case '/garbage':
        socket.write('HTTP/1.1 abc\r\n\r\n');
        return;
      case '/reset-second':
        // The first request on a connection is answered; a second one finds it reset (the idle-close race).
        if (n >= 2) socket.resetAndDestroy();
        else socket.write('HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nfirst');
        return;
      case '/hang':
        socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1\r\nx\r\n');
        return;
      default:
        socket.write(`HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\n${head.startsWith('HEAD') ? '' : 'ok\n'}`);
    }
  }

  /** Sends raw bytes on one client connection and collects everything until the router closes it or `until` matches. */
  function exchange(parts: string[], until: (text: string) => boolean, halfClose = false): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let text = '';
      socket.on('data', (c) => {
        text += c.toString('latin1');
        if (until(text)) {
          socket.destroy();
          resolve(text);
        }
      });
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
      socket.on('connect', async () => {
        for (const part of parts) {
          socket.write(part);
          await new Promise((r) => setImmediate(r));
        }
        if (halfClose) socket.end();
      });
    });
  }

  const count = (text: string, what: string) => text.split(what).length - 1;

  it('relays every byte value unchanged, whole or streamed, through reads that reuse one buffer', async () => {
    const expected = ALL_BYTES.toString('latin1');
    const [whole, streamed] = await Promise.all([
      exchange(['GET /binary HTTP/1.1\r\nhost: x\r\n\r\n'], (t) => t.endsWith(expected)),
      exchange(['GET /binary-streamed HTTP/1.1\r\nhost: x\r\n\r\n'], (t) => t.endsWith('0\r\n\r\n')),
    ]);
    expect(whole).toContain('content-length: 256\r\n');
    expect(whole.slice(whole.indexOf('\r\n\r\n') + 4)).toBe(expected);
    const body = streamed.slice(streamed.indexOf('\r\n\r\n') + 4);
    expect(body).toBe(`80\r\n${expected.slice(0, 128)}\r\n80\r\n${expected.slice(128)}\r\n0\r\n\r\n`);
  });

  it('answers pipelined requests in order on one connection, each naming its revision', async () => {
    const text = await exchange(
      [
        'GET /echo HTTP/1.1\r\nhost: x\r\n\r\nGET /chunked HTTP/1.1\r\nhost: x\r\n\r\nGET / HTTP/1.1\r\nhost: x\r\n\r\n',
      ],
      (t) => count(t, 'HTTP/1.1 200') === 3 && t.endsWith('ok\n'),
    );
    expect(count(text, 'x-prodguard-revision: web-1')).toBe(3);
    // The chunked answer is relayed chunked, its body whole and in place.
    expect(text).toMatch(
      /transfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\nHTTP\/1\.1 200 OK/,
    );
  });

  it('relays a Content-Length upload sent in pieces, and the X-Forwarded fields without hop-by-hop ones', async () => {
    const text = await exchange(
      ['POST /echo HTTP/1.1\r\nhost: example.test\r\ncontent-length: 11\r\n\r\nhello', ' world'],
      (t) => t.endsWith('hello world'),
    );
    expect(text).toContain('content-length: 11');
    const head = await exchange(
      [
        'GET /head-echo HTTP/1.1\r\nHost: example.test\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n',
      ],
      (t) => t.includes('x-forwarded-host'),
    );
    expect(head).toContain('Host: example.test\r\n');
    expect(head).toContain('x-forwarded-for: 10.0.0.1, 127.0.0.1\r\n');
    expect(head).toContain('x-forwarded-proto: http\r\n');
    expect(head).not.toMatch(/X-Hop|Connection:/);
  });

  it('hands a connection to the HTTP server mid-way (chunked upload) and keeps answering on it', async () => {
    const text = await exchange(
      [
        'GET / HTTP/1.1\r\nhost: x\r\n\r\n',
        'POST /echo HTTP/1.1\r\nhost: x\r\nexpect: 100-continue\r\ncontent-length: 4\r\n\r\n',
        'abcd',
        'GET /echo HTTP/1.1\r\nhost: x\r\n\r\n',
      ],
      (t) => count(t, 'HTTP/1.1 200') === 3,
    );
    expect(text).toContain('HTTP/1.1 100 Continue');
    expect(text).toContain('abcd');
    expect(count(text, 'x-prodguard-revision: web-1')).toBe(3);
  });

  it('closes on Connection: close', async () => {
    const closing = await exchange(['GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'], () => false);
    expect(closing).toContain('connection: close');
    expect(closing).toMatch(/ok\n$/);
  });

  it('answers HEAD without a body and relays a close-delimited body whole', async () => {
    const head = await exchange(
      ['HEAD / HTTP/1.1\r\nhost: x\r\n\r\nGET /echo HTTP/1.1\r\nhost: x\r\n\r\n'],
      (t) => t.endsWith('content-length: 0\r\nx-prodguard-revision: web-1\r\n\r\n'),
    );
    expect(
      head.startsWith(
        'HTTP/1.1 200 OK\r\ncontent-length: 3\r\nx-prodguard-revision: web-1\r\n\r\nHTTP/1.1 200',
      ),
    ).toBe(true);
    const closeDelimited = await exchange(['GET /until-close HTTP/1.1\r\nhost: x\r\n\r\n'], (t) =>
      t.endsWith('0\r\n\r\n'),
    );
    expect(closeDelimited).toContain('all of it');
    expect(closeDelimited).not.toMatch(/connection: close/i);
  });

  it('replays a GET once on a fresh connection when a reused one is reset; a POST gets a 502', async () => {
    const get = 'GET /reset-second HTTP/1.1\r\nhost: x\r\n\r\n';
    const first = await exchange([get], (t) => t.endsWith('first'));
    expect(first).toContain('200 OK');
    // The pooled connection is reused and reset: the router replays on a new connection.
    const replayed = await exchange([get], (t) => t.endsWith('first'));
    expect(replayed).toContain('200 OK');
    // The replay's connection went back to the pool, first in line: a POST on it is not replayed.
    const post = 'POST /reset-second HTTP/1.1\r\nhost: x\r\ncontent-length: 1\r\n\r\nx';
    const failed = await exchange([post], (t) => t.includes('bad_gateway'));
    expect(failed).toMatch(/^HTTP\/1\.1 502/);
  });

  it('answers 502 to a malformed response and relays an early answer to an upload', async () => {
    const bad = await exchange(['GET /garbage HTTP/1.1\r\nhost: x\r\n\r\n'], (t) => t.includes('}'));
    expect(bad).toMatch(/^HTTP\/1\.1 502/);
    expect(bad).toContain('bad status line');
    const early = await exchange(
      [
        'POST /early HTTP/1.1\r\nhost: x\r\ncontent-length: 10\r\n\r\nabc',
        'defghij',
        'GET / HTTP/1.1\r\nhost: x\r\n\r\n',
      ],
      (t) => t.endsWith('ok\n'),
    );
    expect(early).toMatch(/^HTTP\/1\.1 413/);
  });

  it('drops the rest of a large upload the app stopped reading after answering, and serves the next request', async () => {
    const size = 32 * 1024 * 1024;
    const text = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let got = '';
      socket.on('data', (c) => {
        got += c.toString('latin1');
        if (got.endsWith('ok\n')) {
          socket.destroy();
          resolve(got);
        }
      });
      socket.on('error', reject);
      socket.on('connect', () => {
        socket.write(`POST /stuck HTTP/1.1\r\nhost: x\r\ncontent-length: ${size}\r\n\r\n`);
        socket.write(Buffer.alloc(size, 97));
        socket.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
      });
    });
    expect(text).toMatch(/^HTTP\/1\.1 413/);
    expect(text).toMatch(/HTTP\/1\.1 200 OK[\s\S]*ok\n$/);
  });

  it('counts requests in flight until the client side is done, a client leaving mid-response included', async () => {
    observed.length = 0;
    const before = upstreamConnections.filter((s) => !s.destroyed).length;
    const text = await exchange(['GET /hang HTTP/1.1\r\nhost: x\r\n\r\n'], (t) => t.endsWith('x\r\n'));
    expect(text).toContain('200 OK');
    await waitUntil(() => instance.metrics.inFlight === 0);
    expect(observed).toEqual(['error']);
    // The upstream connection of the abandoned response was closed, not pooled.
    await waitUntil(() => upstreamConnections.filter((s) => !s.destroyed).length < before + 1);
    await exchange(['GET / HTTP/1.1\r\nhost: x\r\n\r\n'], (t) => t.endsWith('ok\n'));
    await waitUntil(() => instance.metrics.inFlight === 0);
    expect(observed).toEqual(['error', '2xx']);
    // A client that shuts its side with a request in flight abandons it (node's HTTP server does the same).
    await exchange(['GET /hang HTTP/1.1\r\nhost: x\r\n\r\n'], () => false, true);
    await waitUntil(() => instance.metrics.inFlight === 0);
    expect(observed).toEqual(['error', '2xx', 'error']);
  });

  it('lets no request be smuggled past the front: ambiguous framing never reaches the app as a second request', async () => {
    const smuggle = 'GET /smuggled HTTP/1.1\r\nhost: x\r\n\r\n';
    const attempts = [
      `POST /a HTTP/1.1\r\nhost: x\r\ncontent-length: 4\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n${smuggle}`,
      `POST /a HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\ncontent-length: 4\r\n\r\n0\r\n\r\n${smuggle}`,
      `POST /a HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\ncontent-length: ${smuggle.length}\r\n\r\n${smuggle}`,
      `POST /a HTTP/1.1\r\nhost: x\r\ncontent-length : ${smuggle.length}\r\n\r\n${smuggle}`,
      `POST /a HTTP/1.1\r\nhost: x\r\ntransfer-encoding: xchunked\r\n\r\n0\r\n\r\n${smuggle}`,
      `POST /a HTTP/1.1\r\nhost: x\r\nx-folded: a\r\n content-length: ${smuggle.length}\r\n\r\n${smuggle}`,
      `POST /a HTTP/1.1\nhost: x\ncontent-length: ${smuggle.length}\n\n${smuggle}`,
    ];
    for (const attempt of attempts) {
      seenPaths.length = 0;
      await exchange([attempt], () => false);
      expect(seenPaths, JSON.stringify(attempt)).not.toContain('/smuggled');
    }
  });

  it('leaves malformed requests to the HTTP server, which drops the connection as before', async () => {
    const text = await exchange(
      ['GET / HTTP/1.1\r\nhost: x\r\n\r\nGET / HTTP/1.1\r\nhost: x\r\nbad header\r\n\r\n'],
      () => false,
    );
    const unknownMethod = await exchange(['BREW / HTTP/1.1\r\nhost: x\r\n\r\n'], () => false);
    expect(unknownMethod).toBe('');
    expect(text.startsWith('HTTP/1.1 200 OK')).toBe(true);
    expect(text.endsWith('ok\n')).toBe(true);
  });
});

async function waitUntil(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
}
