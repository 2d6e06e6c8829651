import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { connect, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLeanFront } from './lean-front.js';
import { ProxyExchange } from './proxy-exchange.js';
import { UpstreamPool } from './upstream-pool.js';

// The front's one sweep closes idle keep-alive connections (node's keepAliveTimeout), never one whose
// response is still coming.
describe('lean front: idle keep-alive connections', () => {
  let app: HttpServer;
  let fallback: HttpServer;
  let front: Server;
  let port: number;
  const pool = new UpstreamPool({ maxFree: 8, idleMs: 4000 });

  beforeAll(async () => {
    app = createHttpServer((req, res) => {
      if (req.url === '/slow') setTimeout(() => res.end('slow'), 300);
      else res.end('ok');
    });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    const appPort = (app.address() as { port: number }).port;
    fallback = createHttpServer();
    front = createLeanFront({
      keepAliveMs: 100,
      fallback,
      relay: (request, forward, down) =>
        new ProxyExchange(
          { name: 'web-1', port: appPort, pool, revisionHeader: 'x-prodguard-revision' },
          request.method,
          down,
          forward,
          () => {},
        ),
    }).server;
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    port = (front.address() as { port: number }).port;
  });
  afterAll(async () => {
    pool.destroy();
    await new Promise((resolve) => front.close(resolve));
    await new Promise((resolve) => app.close(resolve));
  });

  /** Sends one request and resolves with what came back and when the router closed the connection. */
  function request(path: string): Promise<{ text: string; answeredMs: number; closedMs: number }> {
    return new Promise((resolve, reject) => {
      const started = performance.now();
      let text = '';
      let answeredMs = -1;
      const socket = connect(port, '127.0.0.1', () =>
        socket.write(`GET ${path} HTTP/1.1\r\nhost: x\r\n\r\n`),
      );
      socket.on('data', (chunk) => {
        text += chunk.toString('latin1');
        if (answeredMs < 0 && /\r\n\r\n(ok|slow)$/.test(text)) answeredMs = performance.now() - started;
      });
      socket.on('error', reject);
      socket.on('close', () => resolve({ text, answeredMs, closedMs: performance.now() - started }));
    });
  }

  it('closes a connection idle for longer than keepAliveMs after its response', async () => {
    const { text, answeredMs, closedMs } = await request('/');
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(text).toContain('\r\nx-prodguard-revision: web-1\r\n');
    expect(text.endsWith('\r\n\r\nok')).toBe(true);
    expect(closedMs - answeredMs).toBeGreaterThanOrEqual(100);
    expect(closedMs).toBeLessThan(5_000);
  });

  it('keeps a connection whose response takes longer than keepAliveMs, then closes it once idle', async () => {
    const { text, answeredMs, closedMs } = await request('/slow');
    expect(text).toMatch(/\r\n\r\nslow$/);
    expect(answeredMs).toBeGreaterThanOrEqual(300);
    expect(closedMs - answeredMs).toBeGreaterThanOrEqual(100);
  });
});
