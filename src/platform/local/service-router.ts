import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { Pool } from 'undici';
import type { MaintenanceSettings, TrafficTarget } from '../platform.js';
import { renderMaintenancePage } from './maintenance-page.js';
import type { RevisionInstance } from './revision-instance.js';
import { type StatusClass, statusClassOf } from './sliding-metrics.js';
import { WeightedPicker } from './weighted-picker.js';

export const REVISION_HEADER = 'x-prodguard-revision';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'upgrade',
  'proxy-connection',
  // Framing is per hop: each side of the proxy chunks (or not) on its own.
  'transfer-encoding',
  // The router's own server has already answered 100-continue; the body follows on this hop.
  'expect',
]);

/** Socket errors after which an idempotent, bodiless request is replayed once (a pooled socket the app closed). */
const REPLAYABLE_ERRORS = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

export type RequestObserver = (revision: RevisionInstance, statusClass: StatusClass, seconds: number) => void;

export interface ServiceRouterOptions {
  service: string;
  nowMs: () => number;
  lookup: (name: string) => RevisionInstance | undefined;
  observe: RequestObserver;
}

/**
 * The environment's reverse proxy: weighted split over ready revisions, a maintenance overlay, direct
 * access to one revision with the `X-Prodguard-Revision` request header or its own tag port.
 * Keep-alive upstream pools, streamed bodies, WebSocket upgrades; every response names its revision.
 */
export class ServiceRouter {
  readonly service: string;
  readonly #options: ServiceRouterOptions;
  #picker = new WeightedPicker<string>([]);
  #maintenance: MaintenanceSettings | undefined;
  readonly #servers: Server[] = [];
  readonly #tagServers = new Map<string, Server>();
  /**
   * One undici keep-alive pool per revision and port (a restarted revision gets a new port, hence a new
   * pool). undici's client parses responses with less work per request than node:http's agent.
   */
  readonly #pools = new Map<string, { port: number; pool: Pool }>();

  constructor(options: ServiceRouterOptions) {
    this.service = options.service;
    this.#options = options;
  }

  setTraffic(targets: readonly TrafficTarget[]): void {
    this.#picker = new WeightedPicker(targets.map((t) => ({ value: t.revision, weight: t.percent })));
  }

  setMaintenance(settings: MaintenanceSettings | undefined): void {
    this.#maintenance = settings;
  }

  /** Listens on the environment's port; resolves with the bound port. */
  async listen(port: number): Promise<number> {
    const server = this.#createServer(() => this.#pickRevision());
    this.#servers.push(server);
    return listenOn(server, port);
  }

  /** The revision's own listener (its tag URL): reachable at 0 %, never in maintenance. */
  async listenTag(revision: string, port: number): Promise<number> {
    const server = this.#createServer(() => this.#ready(revision), revision);
    this.#tagServers.set(revision, server);
    return listenOn(server, port);
  }

  async closeTag(revision: string): Promise<void> {
    const server = this.#tagServers.get(revision);
    this.#tagServers.delete(revision);
    if (server) await closeServer(server);
  }

  async close(): Promise<void> {
    await Promise.all([...this.#servers, ...this.#tagServers.values()].map(closeServer));
    this.#servers.length = 0;
    this.#tagServers.clear();
    await Promise.all([...this.#pools.values()].map((p) => p.pool.destroy()));
    this.#pools.clear();
  }

  #poolFor(instance: RevisionInstance): Pool {
    const current = this.#pools.get(instance.name);
    if (current?.port === instance.appPort) return current.pool;
    if (current) void current.pool.destroy();
    const pool = new Pool(`http://127.0.0.1:${instance.appPort}`, {
      connections: 256,
      pipelining: 1,
      // Below typical app keep-alive timeouts (node: 5 s), so the app rarely closes a socket we reuse.
      keepAliveTimeout: 4000,
      keepAliveMaxTimeout: 4000,
      headersTimeout: 0,
      bodyTimeout: 0,
    });
    this.#pools.set(instance.name, { port: instance.appPort, pool });
    return pool;
  }

  #ready(name: string): RevisionInstance | undefined {
    const instance = this.#options.lookup(name);
    return instance?.state === 'ready' ? instance : undefined;
  }

  #pickRevision(): RevisionInstance | undefined {
    const name = this.#picker.pick((n) => this.#ready(n) !== undefined);
    return name === undefined ? undefined : this.#ready(name);
  }

  #route(req: IncomingMessage, pick: () => RevisionInstance | undefined, tag: string | undefined) {
    const pinned = tag === undefined ? req.headers[REVISION_HEADER] : undefined;
    if (typeof pinned === 'string')
      return { instance: this.#ready(pinned), why: `revision ${pinned} is not ready` };
    if (tag === undefined && this.#maintenance) return { maintenance: this.#maintenance };
    return {
      instance: pick(),
      why: tag ? `revision ${tag} is not ready` : `no ready revision receives traffic in ${this.service}`,
    };
  }

  #createServer(pick: () => RevisionInstance | undefined, tag?: string): Server {
    const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
      const route = this.#route(req, pick, tag);
      if ('maintenance' in route && route.maintenance) {
        const page = renderMaintenancePage(route.maintenance, req.headers.accept, this.#options.nowMs());
        req.resume();
        res.writeHead(page.status, page.headers).end(page.body);
        return;
      }
      if (!route.instance) {
        req.resume();
        res
          .writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' })
          .end(JSON.stringify({ error: 'unavailable', message: route.why }));
        return;
      }
      this.#proxy(route.instance, req, res);
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const route = this.#route(req, pick, tag);
      const instance = 'instance' in route ? route.instance : undefined;
      if (!instance) {
        socket.end('HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
        return;
      }
      this.#tunnel(instance, req, socket, head);
    });
    server.on('clientError', (_error, socket) => socket.destroy());
    trackSockets(server);
    return server;
  }

  #proxy(instance: RevisionInstance, req: IncomingMessage, res: ServerResponse): void {
    const started = performance.now();
    instance.metrics.inFlight++;
    // 'error' until the upstream answers: a socket or proxy failure.
    let outcome: StatusClass = 'error';
    const abort = new AbortController();
    res.once('close', () => {
      // Client went away before the response finished: stop the upstream request too.
      if (!res.writableFinished) {
        abort.abort();
        outcome = 'error';
      }
      instance.metrics.inFlight--;
      const seconds = (performance.now() - started) / 1000;
      instance.metrics.record(outcome, seconds * 1000);
      this.#options.observe(instance, outcome, seconds);
    });
    const headers: Record<string, string | string[]> = {};
    const incoming = req.headers;
    for (const key in incoming) {
      const value = incoming[key];
      if (value !== undefined && !HOP_BY_HOP.has(key)) headers[key] = value;
    }
    const remote = req.socket.remoteAddress ?? '';
    const forwarded = incoming['x-forwarded-for'];
    headers['x-forwarded-for'] = forwarded ? `${forwarded}, ${remote}` : remote;
    headers['x-forwarded-proto'] = 'http';
    if (incoming.host) headers['x-forwarded-host'] = incoming.host;
    const hasBody = incoming['content-length'] !== undefined || incoming['transfer-encoding'] !== undefined;

    const send = (retried: boolean): void => {
      this.#poolFor(instance)
        .stream(
          {
            path: req.url ?? '/',
            method: (req.method ?? 'GET') as 'GET',
            headers,
            body: hasBody ? req : null,
            signal: abort.signal,
          },
          ({ statusCode, headers: upstreamHeaders }) => {
            outcome = statusClassOf(statusCode);
            const out: Record<string, string | string[]> = {};
            for (const key in upstreamHeaders) {
              const value = upstreamHeaders[key];
              if (value !== undefined && !HOP_BY_HOP.has(key)) out[key] = value;
            }
            out[REVISION_HEADER] = instance.name;
            res.writeHead(statusCode, out);
            return res;
          },
        )
        .catch((error: Error & { code?: string }) => {
          if (res.headersSent) {
            outcome = 'error';
            res.destroy();
            return;
          }
          if (res.destroyed) return;
          // A pooled keep-alive socket the app closed just as we reused it: replay idempotent, bodiless requests once.
          if (!retried && !hasBody && REPLAYABLE_ERRORS.has(error.code ?? '') && isReplayable(req)) {
            send(true);
            return;
          }
          outcome = 'error';
          res.writeHead(502, { 'content-type': 'application/json', [REVISION_HEADER]: instance.name }).end(
            JSON.stringify({
              error: 'bad_gateway',
              message: `revision ${instance.name}: ${error.code ?? error.message}`,
            }),
          );
        });
    };
    send(false);
  }

  #tunnel(instance: RevisionInstance, req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const upstream = connect(instance.appPort, '127.0.0.1');
    instance.upgraded.add(socket);
    const cleanup = () => {
      instance.upgraded.delete(socket);
      socket.destroy();
      upstream.destroy();
    };
    upstream.on('connect', () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2)
        lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      lines.push(`${REVISION_HEADER}: ${instance.name}`);
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', cleanup);
    socket.on('error', cleanup);
    upstream.on('close', cleanup);
    socket.on('close', cleanup);
  }
}

function isReplayable(req: IncomingMessage): boolean {
  return (
    (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') &&
    !req.headers['content-length'] &&
    !req.headers['transfer-encoding']
  );
}

function listenOn(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

const openSockets = new WeakMap<Server, Set<Socket>>();

function trackSockets(server: Server): void {
  const sockets = new Set<Socket>();
  openSockets.set(server, sockets);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
}

/** Closes a listener and every connection on it, upgraded (WebSocket) ones included. */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
    for (const socket of openSockets.get(server) ?? []) socket.destroy();
  });
}
