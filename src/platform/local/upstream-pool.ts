import { type AgentOptions, Agent as HttpAgent } from 'node:http';
import { connect, type Socket } from 'node:net';

/** Whoever holds a connection for one request and response. */
export interface UpstreamUser {
  /** Bytes read; they are valid during the call only (the read buffer is reused): copy what is kept. */
  data(chunk: Buffer): void;
  /** The connection closed or failed while held (after 'error', if any). */
  gone(error: Error | undefined): void;
}

/**
 * Where every upstream connection reads into: reads are handed on synchronously and whoever keeps bytes
 * past the call copies them, so one buffer serves all connections without an allocation per read.
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/** One keep-alive connection to a revision's app on loopback; its listeners are set once, not per request. */
export class UpstreamConnection {
  readonly socket: Socket;
  readonly port: number;
  user: UpstreamUser | undefined;
  /** It carried a request before: a failure before any answer may be the app closing an idle connection. */
  reused = false;
  idleSince = 0;
  #error: Error | undefined;
  #closed = false;

  constructor(port: number, onClose: (connection: UpstreamConnection) => void) {
    this.port = port;
    this.socket = connect({
      port,
      host: '127.0.0.1',
      noDelay: true,
      // Reads skip the stream machinery; pause() and resume() still hold reading back.
      onread: {
        buffer: READ_BUFFER,
        callback: (bytes: number, buffer: Uint8Array) => {
          if (this.user) this.user.data(Buffer.from(buffer.buffer, buffer.byteOffset, bytes));
          // An idle connection is not spoken to: bytes on it are a protocol error.
          else this.socket.destroy();
          return true;
        },
      },
    });
    this.socket.on('error', (error) => {
      this.#error = error;
    });
    this.socket.on('close', () => {
      this.#closed = true;
      onClose(this);
      const user = this.user;
      this.user = undefined;
      user?.gone(this.#error);
    });
  }

  get closed(): boolean {
    return this.#closed || this.socket.destroyed;
  }
}

export interface UpstreamPoolOptions {
  /** Idle connections kept at most. */
  maxFree: number;
  /** An idle connection older than this is closed, before the app's own keep-alive timeout (5 s in Node). */
  idleMs: number;
}

/**
 * A revision's keep-alive connections: one per request in flight (no queue, like an nginx upstream
 * without max_conns), the most recently used idle one first.
 */
export class UpstreamPool {
  readonly #options: UpstreamPoolOptions;
  readonly #all = new Set<UpstreamConnection>();
  #free: UpstreamConnection[] = [];
  #sweeper: NodeJS.Timeout | undefined;
  #destroyed = false;

  constructor(options: UpstreamPoolOptions) {
    this.#options = options;
  }

  /** A connection to `port` held by `user`; `fresh`: never an idle one (the replay after a reset). */
  acquire(port: number, user: UpstreamUser, fresh = false): UpstreamConnection {
    const now = performance.now();
    while (!fresh && this.#free.length > 0) {
      const connection = this.#free.pop()!;
      if (
        connection.closed ||
        connection.port !== port ||
        now - connection.idleSince > this.#options.idleMs
      ) {
        connection.socket.destroy();
        continue;
      }
      connection.user = user;
      return connection;
    }
    const connection = new UpstreamConnection(port, (c) => this.#forget(c));
    connection.user = user;
    if (this.#destroyed) connection.socket.destroy();
    else this.#all.add(connection);
    return connection;
  }

  /** Hands back a connection whose response ended cleanly and whose request was sent whole. */
  release(connection: UpstreamConnection): void {
    connection.user = undefined;
    if (this.#destroyed || connection.closed || this.#free.length >= this.#options.maxFree) {
      connection.socket.destroy();
      return;
    }
    connection.reused = true;
    connection.idleSince = performance.now();
    this.#free.push(connection);
    this.#sweeper ??= setInterval(() => this.#sweep(), this.#options.idleMs).unref();
  }

  /** Closes every connection, idle or busy (the revision stopped or its process is gone). */
  destroy(): void {
    this.#destroyed = true;
    clearInterval(this.#sweeper);
    for (const connection of this.#all) connection.socket.destroy();
    this.#all.clear();
    this.#free = [];
  }

  #forget(connection: UpstreamConnection): void {
    this.#all.delete(connection);
  }

  #sweep(): void {
    const now = performance.now();
    const keep = this.#free.filter((c) => !c.closed && now - c.idleSince <= this.#options.idleMs);
    for (const c of this.#free) if (!keep.includes(c)) c.socket.destroy();
    this.#free = keep;
  }
}

/**
 * The revision's HTTP agent, carrying the router's upstream pool: destroying the agent (stop, crash)
 * closes the pool's connections too.
 */
export class UpstreamAgent extends HttpAgent {
  readonly upstream: UpstreamPool;

  constructor(options: AgentOptions & UpstreamPoolOptions) {
    super(options);
    this.upstream = new UpstreamPool(options);
  }

  override destroy(): void {
    this.upstream.destroy();
    super.destroy();
  }
}

const fallbackPools = new WeakMap<HttpAgent, UpstreamPool>();

/** The upstream pool of a revision's agent (a plain agent gets one of its own, closed with the process). */
export function upstreamPoolOf(agent: HttpAgent): UpstreamPool {
  if (agent instanceof UpstreamAgent) return agent.upstream;
  let pool = fallbackPools.get(agent);
  if (!pool) {
    pool = new UpstreamPool({ maxFree: 64, idleMs: 4000 });
    fallbackPools.set(agent, pool);
  }
  return pool;
}
