import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ResponseHead, ResponseParser } from './response-parser.js';
import type { StatusClass } from './sliding-metrics.js';
import { statusClassOf } from './sliding-metrics.js';
import type { UpstreamConnection, UpstreamPool, UpstreamUser } from './upstream-pool.js';

/**
 * Request header fields that describe one hop, or that the router sets itself: not forwarded
 * (a switch: the lean front asks it for every field of every request).
 */
export function isNotForwarded(lowerName: string): boolean {
  switch (lowerName) {
    case 'connection':
    case 'keep-alive':
    case 'proxy-authenticate':
    case 'proxy-authorization':
    case 'te':
    case 'trailer':
    case 'upgrade':
    case 'proxy-connection':
    // The router's own server has already answered 100-continue; the body follows on this hop.
    case 'expect':
    // The body is re-framed on this hop (a chunked upload is sent chunked again).
    case 'transfer-encoding':
    case 'x-forwarded-for':
    case 'x-forwarded-proto':
    case 'x-forwarded-host':
      return true;
    default:
      return false;
  }
}

export interface ProxyTarget {
  /** The revision's name, set on every response. */
  name: string;
  port: number;
  pool: UpstreamPool;
  /** Response header naming the revision. */
  revisionHeader: string;
}

/** The request as the router read it: what to send upstream and how. */
export interface ForwardedRequest {
  head: string;
  /** Content-Length or Transfer-Encoding: a body follows the head. */
  hasBody: boolean;
  chunked: boolean;
  /** GET/HEAD/OPTIONS without a body: may be sent again on a fresh connection. */
  replayable: boolean;
}

/**
 * The upstream request head from the client's raw header fields, without hop-by-hop fields, with the
 * X-Forwarded-* fields of this hop.
 */
export function forwardedRequest(req: IncomingMessage): ForwardedRequest {
  return forwardedHead(req.method ?? 'GET', req.url ?? '/', req.rawHeaders, req.socket.remoteAddress ?? '');
}

export function forwardedHead(
  method: string,
  url: string,
  raw: readonly string[],
  remote: string,
): ForwardedRequest {
  let head = `${method} ${url} HTTP/1.1\r\n`;
  let forwardedFor: string | undefined;
  let host: string | undefined;
  let connection: string | undefined;
  let hasBody = false;
  let chunked = false;
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i]!.toLowerCase();
    if (lower === 'connection') connection = connection ? `${connection},${raw[i + 1]}` : raw[i + 1]!;
  }
  const listed = connection
    ? new Set(
        connection
          .toLowerCase()
          .split(',')
          .map((t) => t.trim()),
      )
    : undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    const lower = name.toLowerCase();
    if (lower === 'content-length') hasBody = true;
    else if (lower === 'transfer-encoding') hasBody = chunked = true;
    else if (lower === 'host') host ??= value;
    else if (lower === 'x-forwarded-for') forwardedFor = forwardedFor ? `${forwardedFor}, ${value}` : value;
    if (isNotForwarded(lower) || listed?.has(lower)) continue;
    head += `${name}: ${value}\r\n`;
  }
  head += forwardedFields(forwardedFor, remote, host);
  if (chunked) head += 'transfer-encoding: chunked\r\n';
  head += '\r\n';
  return { head, hasBody, chunked, replayable: isReplayable(method, hasBody) };
}

/** The X-Forwarded-* fields of this hop. */
export function forwardedFields(
  forwardedFor: string | undefined,
  remote: string,
  host: string | undefined,
): string {
  const fields = `x-forwarded-for: ${forwardedFor ? `${forwardedFor}, ${remote}` : remote}\r\nx-forwarded-proto: http\r\n`;
  return host ? `${fields}x-forwarded-host: ${host}\r\n` : fields;
}

/** GET/HEAD/OPTIONS without a body: may be sent again on a fresh connection. */
export function isReplayable(method: string, hasBody: boolean): boolean {
  return !hasBody && (method === 'GET' || method === 'HEAD' || method === 'OPTIONS');
}

/** Where the response goes: a node ServerResponse, or the router's lean front connection. */
export interface Downstream {
  readonly headersSent: boolean;
  /** `wholeBody`: the body's length when it is already whole and the head does not frame it. */
  head(head: ResponseHead, wholeBody: number | undefined): void;
  /** False: wait for onceDrain before writing more. `chunk` is valid during the call only: copy to keep it. */
  write(chunk: Buffer): boolean;
  onceDrain(resume: () => void): void;
  /** `body` is valid during the call only, as in write. */
  end(body: Buffer | undefined): void;
  /** The response cannot be completed: cut the client connection. */
  destroy(): void;
  /** Answers with an error response before any head was sent. */
  fail(status: number, headers: Record<string, string>, body: string): void;
}

/** A node ServerResponse as a Downstream. */
export class NodeDownstream implements Downstream {
  readonly #res: ServerResponse;

  constructor(res: ServerResponse) {
    this.#res = res;
  }

  get headersSent(): boolean {
    return this.#res.headersSent;
  }

  head(head: ResponseHead, wholeBody: number | undefined): void {
    const headers = head.headers;
    if (wholeBody !== undefined && !head.framed) headers.push('content-length', String(wholeBody));
    if (head.reason) this.#res.writeHead(head.status, head.reason, headers);
    else this.#res.writeHead(head.status, headers);
  }

  write(chunk: Buffer): boolean {
    return this.#res.write(Buffer.from(chunk));
  }

  onceDrain(resume: () => void): void {
    this.#res.once('drain', resume);
  }

  end(body: Buffer | undefined): void {
    if (body === undefined) this.#res.end();
    else this.#res.end(Buffer.from(body));
  }

  destroy(): void {
    this.#res.destroy();
  }

  fail(status: number, headers: Record<string, string>, body: string): void {
    this.#res.writeHead(status, headers).end(body);
  }
}

export type ExchangeFinish = (statusClass: StatusClass, status: number | undefined) => void;

const CRLF = Buffer.from('\r\n');
const LAST_CHUNK = Buffer.from('0\r\n\r\n');

/**
 * One request relayed to a revision over a pooled connection: the head and body go up, the response is
 * read with ResponseParser and written to the client as it arrives. A reused connection that fails
 * before any answer is replayed once on a fresh one for replayable requests.
 */
export class ProxyExchange implements UpstreamUser {
  readonly #target: ProxyTarget;
  readonly #method: string;
  readonly #down: Downstream;
  readonly #forward: ForwardedRequest;
  readonly #onFinish: ExchangeFinish;
  #connection: UpstreamConnection | undefined;
  #parser: ResponseParser;
  #answered = false;
  #retried = false;
  #wasReused = false;
  #drainWaiters: (() => void)[] = [];
  #bodySent: boolean;
  #status: number | undefined;
  #pendingHead: ResponseHead | undefined;
  #out: Buffer[] = [];
  #ended = false;
  #reusable = false;
  #failed = false;
  #finished = false;

  constructor(
    target: ProxyTarget,
    method: string,
    down: Downstream,
    forward: ForwardedRequest,
    onFinish: ExchangeFinish,
  ) {
    this.#target = target;
    this.#method = method;
    this.#down = down;
    this.#forward = forward;
    this.#onFinish = onFinish;
    this.#bodySent = !forward.hasBody;
    this.#parser = this.#newParser();
  }

  /** Sends the request head; the body (if any) follows with writeBody/endBody. */
  start(): void {
    this.#send(false);
  }

  /** Relays request body bytes (decoded: a chunked upload is chunked again); false: wait for onceUpstreamDrain. */
  writeBody(chunk: Buffer): boolean {
    const socket = this.#connection?.socket;
    if (!socket || this.#ended || chunk.length === 0) return true;
    if (!this.#forward.chunked) return socket.write(chunk);
    socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
    socket.write(chunk);
    return socket.write(CRLF);
  }

  /** Calls `resume` once the connection drains, or at once when the exchange lets go of it (no drain will come). */
  onceUpstreamDrain(resume: () => void): void {
    const socket = this.#connection?.socket;
    if (!socket) {
      resume();
      return;
    }
    let called = false;
    const once = () => {
      if (called) return;
      called = true;
      socket.off('drain', once);
      this.#drainWaiters = this.#drainWaiters.filter((w) => w !== once);
      resume();
    };
    socket.once('drain', once);
    this.#drainWaiters.push(once);
  }

  endBody(): void {
    if (this.#forward.chunked) this.#connection?.socket.write(LAST_CHUNK);
    this.#bodySent = true;
  }

  /** Streams a node request's body up. */
  pipeBody(req: IncomingMessage): void {
    req.on('data', (chunk: Buffer) => {
      if (!this.writeBody(chunk)) {
        req.pause();
        this.onceUpstreamDrain(() => req.resume());
      }
    });
    req.on('end', () => this.endBody());
  }

  data(chunk: Buffer): void {
    this.#answered = true;
    try {
      this.#parser.feed(chunk);
    } catch (error) {
      if (!this.#ended) {
        this.#fail(error as Error);
        return;
      }
      // The response is whole; what followed it makes the connection unusable, not the response.
      this.#reusable = false;
    }
    this.#flush();
  }

  gone(error: Error | undefined): void {
    this.#connection = undefined;
    this.#releaseWaiters();
    if (this.#ended || this.#finished) return;
    if (!error) {
      try {
        this.#parser.close();
        this.#flush();
        return;
      } catch (closeError) {
        error = closeError as Error;
      }
    }
    // An idle keep-alive connection the app closed just as it was reused: replay idempotent, bodiless requests once.
    if (
      !this.#answered &&
      !this.#retried &&
      this.#wasReused &&
      this.#forward.replayable &&
      !this.#down.headersSent
    ) {
      this.#retried = true;
      this.#parser = this.#newParser();
      this.#send(true);
      return;
    }
    this.#fail(error);
  }

  #newParser(): ResponseParser {
    return new ResponseParser(this.#method, {
      head: (head) => this.#head(head),
      data: (chunk) => this.#out.push(chunk),
      end: (reusable) => {
        this.#ended = true;
        this.#reusable = reusable;
      },
    });
  }

  #send(fresh: boolean): void {
    const connection = this.#target.pool.acquire(this.#target.port, this, fresh);
    this.#connection = connection;
    this.#wasReused = connection.reused;
    connection.socket.write(this.#forward.head, 'latin1');
  }

  #head(head: ResponseHead): void {
    this.#status = head.status;
    head.headers.push(this.#target.revisionHeader, this.#target.name);
    this.#pendingHead = head;
  }

  /** Writes what the last read produced: the whole body at once when it ended in that read. */
  #flush(): void {
    const out = this.#out;
    const down = this.#down;
    const head = this.#pendingHead;
    this.#pendingHead = undefined;
    if (this.#ended) {
      const body = out.length === 0 ? undefined : out.length === 1 ? out[0]! : Buffer.concat(out);
      this.#out = [];
      // Answered before the upload ended (413, 401...): the rest of the body is dropped with the connection.
      if (!this.#bodySent) this.#reusable = false;
      // The connection goes back first: ending the response may start the client's next request at once.
      this.#complete();
      if (head) down.head(head, body?.length ?? 0);
      down.end(body);
      return;
    }
    if (head) down.head(head, undefined);
    if (out.length === 0) return;
    this.#out = [];
    let ok = true;
    for (const chunk of out) ok = down.write(chunk);
    const socket = this.#connection?.socket;
    if (!ok && socket) {
      socket.pause();
      down.onceDrain(() => socket.resume());
    }
  }

  /** Response relayed and request sent: the connection goes back to the pool, or is closed. */
  #complete(): void {
    const connection = this.#connection;
    if (!connection || !this.#reusable || connection.socket.isPaused()) {
      this.#dropConnection();
      return;
    }
    this.#connection = undefined;
    this.#releaseWaiters();
    this.#target.pool.release(connection);
  }

  /** Lets go of the upstream connection, closing it: what is left on it is not a clean end of a response. */
  #dropConnection(): void {
    const connection = this.#connection;
    this.#connection = undefined;
    this.#releaseWaiters();
    if (connection) {
      connection.user = undefined;
      connection.socket.destroy();
    }
  }

  #fail(error: Error): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#dropConnection();
    const down = this.#down;
    if (!down.headersSent) {
      const code = (error as NodeJS.ErrnoException).code ?? error.message;
      down.fail(
        502,
        { 'content-type': 'application/json', [this.#target.revisionHeader]: this.#target.name },
        JSON.stringify({ error: 'bad_gateway', message: `revision ${this.#target.name}: ${code}` }),
      );
    } else {
      down.destroy();
    }
    this.#finish('error', undefined);
  }

  /** The client side is done: `completed`, the whole response was handed to it. */
  closed(completed: boolean): void {
    if (!completed) {
      // The client went away before the response finished: stop the upstream request too.
      this.#dropConnection();
      this.#finish('error', this.#status);
      return;
    }
    this.#finish(
      this.#status === undefined || this.#failed ? 'error' : statusClassOf(this.#status),
      this.#status,
    );
  }

  /** A body waiting for the connection to drain goes on (into nothing) once the connection is let go. */
  #releaseWaiters(): void {
    if (this.#drainWaiters.length === 0) return;
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const w of waiters) w();
  }

  #finish(statusClass: StatusClass, status: number | undefined): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#onFinish(statusClass, status);
  }
}
