import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { MaintenanceSettings, TrafficTarget } from '../platform.js';
import { createLeanFront } from './lean-front.js';
import { renderMaintenancePage } from './maintenance-page.js';
import {
  type Downstream,
  type ForwardedRequest,
  forwardedRequest,
  NodeDownstream,
  ProxyExchange,
} from './proxy-exchange.js';
import type { RevisionInstance } from './revision-instance.js';
import type { StatusClass } from './sliding-metrics.js';
import { upstreamPoolOf } from './upstream-pool.js';
import { WeightedPicker } from './weighted-picker.js';

export const REVISION_HEADER = 'x-prodguard-revision';

/** Requests carrying this header (the monitor's probes and scrapes) are proxied but not counted. */
export const MONITOR_HEADER = 'x-prodguard-monitor';

export type RequestObserver = (
  revision: RevisionInstance,
  statusClass: StatusClass,
  seconds: number,
  status?: number,
) => void;

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
  readonly #servers: Listener[] = [];
  readonly #tagServers = new Map<string, Listener>();

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
    return listenOn(server.front, port);
  }

  /** The revision's own listener (its tag URL): reachable at 0 %, never in maintenance. */
  async listenTag(revision: string, port: number): Promise<number> {
    const server = this.#createServer(() => this.#ready(revision), revision);
    this.#tagServers.set(revision, server);
    return listenOn(server.front, port);
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
    const pinned = tag === undefined ? rawHeader(req, REVISION_HEADER) : undefined;
    if (typeof pinned === 'string')
      return { instance: this.#ready(pinned), why: `revision ${pinned} is not ready` };
    if (tag === undefined && this.#maintenance) return { maintenance: this.#maintenance };
    return {
      instance: pick(),
      why: tag ? `revision ${tag} is not ready` : `no ready revision receives traffic in ${this.service}`,
    };
  }

  /**
   * The lean front relays plain requests routed to a ready revision; node's HTTP server takes the
   * connections carrying anything else (maintenance page, 503, upgrades, chunked uploads, malformed input).
   */
  #createServer(pick: () => RevisionInstance | undefined, tag?: string): Listener {
    const http = this.#createHttpServer(pick, tag);
    const front = createLeanFront({
      fallback: http,
      keepAliveMs: KEEP_ALIVE_MS,
      relay: (request, forward, down) => {
        const instance =
          tag === undefined && request.pinned !== undefined
            ? this.#ready(request.pinned)
            : tag === undefined && this.#maintenance
              ? undefined
              : pick();
        return instance && this.#exchange(instance, request.method, forward, down, !request.monitor);
      },
    });
    // Handed-over connections get the HTTP server's header and request timeouts, which it arms on 'listening'.
    front.server.once('listening', () => http.emit('listening'));
    return { front: front.server, frontSockets: front.sockets, http };
  }

  #createHttpServer(pick: () => RevisionInstance | undefined, tag?: string): Server {
    const server = createServer({ keepAliveTimeout: KEEP_ALIVE_MS }, (req, res) => {
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
    const forward = forwardedRequest(req);
    // The monitor's own probes and scrapes are not user traffic: they would skew the error ratio and the SLO.
    const counted = rawHeader(req, MONITOR_HEADER) === undefined;
    const exchange = this.#exchange(instance, req.method ?? 'GET', forward, new NodeDownstream(res), counted);
    res.once('close', () => exchange.closed(res.writableFinished));
    exchange.start();
    if (forward.hasBody) exchange.pipeBody(req);
  }

  /** A relay to the instance, counted in flight until the client side is done, then recorded. */
  #exchange(
    instance: RevisionInstance,
    method: string,
    forward: ForwardedRequest,
    down: Downstream,
    counted: boolean,
  ): ProxyExchange {
    const started = performance.now();
    const metrics = instance.metrics;
    metrics.inFlight++;
    const observe = this.#options.observe;
    const target = {
      name: instance.name,
      port: instance.appPort,
      pool: upstreamPoolOf(instance.httpAgent),
      revisionHeader: REVISION_HEADER,
    };
    return new ProxyExchange(target, method, down, forward, (statusClass, status) => {
      metrics.inFlight--;
      if (!counted) return;
      const ms = performance.now() - started;
      metrics.record(statusClass, ms);
      observe(instance, statusClass, ms / 1000, status);
    });
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

/** The first value of a header field, read from the raw fields (req.headers is built lazily: not built here). */
function rawHeader(req: IncomingMessage, lowerName: string): string | undefined {
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === lowerName.length && name.toLowerCase() === lowerName) return raw[i + 1];
  }
  return undefined;
}

interface Listener {
  front: NetServer;
  frontSockets: Set<Socket>;
  http: Server;
}

const KEEP_ALIVE_MS = 65_000;

function listenOn(server: NetServer, port: number): Promise<number> {
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
async function closeServer(listener: Listener): Promise<void> {
  const closed = new Promise<void>((resolve) => listener.front.close(() => resolve()));
  for (const socket of listener.frontSockets) socket.destroy();
  // The HTTP server never listens itself: close() only stops its timers; its connections are ended here.
  listener.http.close();
  listener.http.closeAllConnections();
  for (const socket of openSockets.get(listener.http) ?? []) socket.destroy();
  await closed;
}
