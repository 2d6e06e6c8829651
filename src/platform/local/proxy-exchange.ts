import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ResponseHead, ResponseParser } from './response-parser.js';
import type { StatusClass } from './sliding-metrics.js';
import { statusClassOf } from './sliding-metrics.js';
import type { UpstreamConnection, UpstreamPool, UpstreamUser } from './upstream-pool.js';

/** Request header fields that describe one hop (or that the router sets itself): not forwarded. */
const NOT_FORWARDED = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'upgrade',
  'proxy-connection',
  // The router's own server has already answered 100-continue; the body follows on this hop.
  'expect',
  // The body is re-framed on this hop (a chunked upload is sent chunked again).
  'transfer-encoding',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
]);

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
  const raw = req.rawHeaders;
  let head = `${req.method} ${req.url} HTTP/1.1\r\n`;
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
    if (NOT_FORWARDED.has(lower) || listed?.has(lower)) continue;
    head += `${name}: ${value}\r\n`;
  }
  const remote = req.socket.remoteAddress ?? '';
  head += `x-forwarded-for: ${forwardedFor ? `${forwardedFor}, ${remote}` : remote}\r\nx-forwarded-proto: http\r\n`;
  if (host) head += `x-forwarded-host: ${host}\r\n`;
  if (chunked) head += 'transfer-encoding: chunked\r\n';
  head += '\r\n';
  const method = req.method;
  const replayable = !hasBody && (method === 'GET' || method === 'HEAD' || method === 'OPTIONS');
  return { head, hasBody, chunked, replayable };
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
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  readonly #forward: ForwardedRequest;
  readonly #onFinish: ExchangeFinish;
  #connection: UpstreamConnection | undefined;
  #parser: ResponseParser;
  #answered = false;
  #retried = false;
  #wasReused = false;
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
    req: IncomingMessage,
    res: ServerResponse,
    forward: ForwardedRequest,
    onFinish: ExchangeFinish,
  ) {
    this.#target = target;
    this.#req = req;
    this.#res = res;
    this.#forward = forward;
    this.#onFinish = onFinish;
    this.#bodySent = !forward.hasBody;
    this.#parser = this.#newParser();
  }

  start(): void {
    this.#res.once('close', () => this.#resClosed());
    this.#send(false);
    if (this.#forward.hasBody) this.#sendBody();
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
      !this.#res.headersSent
    ) {
      this.#retried = true;
      this.#parser = this.#newParser();
      this.#send(true);
      return;
    }
    this.#fail(error);
  }

  #newParser(): ResponseParser {
    return new ResponseParser(this.#req.method ?? 'GET', {
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

  #sendBody(): void {
    const req = this.#req;
    const chunked = this.#forward.chunked;
    req.on('data', (chunk: Buffer) => {
      const socket = this.#connection?.socket;
      if (!socket || this.#ended) return;
      let ok: boolean;
      if (chunked) {
        if (chunk.length === 0) return;
        socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
        socket.write(chunk);
        ok = socket.write(CRLF);
      } else {
        ok = socket.write(chunk);
      }
      if (!ok) {
        req.pause();
        socket.once('drain', () => req.resume());
      }
    });
    req.on('end', () => {
      if (chunked) this.#connection?.socket.write(LAST_CHUNK);
      this.#bodySent = true;
    });
  }

  #head(head: ResponseHead): void {
    this.#status = head.status;
    head.headers.push(this.#target.revisionHeader, this.#target.name);
    this.#pendingHead = head;
  }

  /** Sends the response head; a body that is already whole gets its Content-Length (one write, not chunks). */
  #writeHead(head: ResponseHead, wholeBody: number | undefined): void {
    this.#pendingHead = undefined;
    const headers = head.headers;
    if (wholeBody !== undefined && !head.framed) headers.push('content-length', String(wholeBody));
    if (head.reason) this.#res.writeHead(head.status, head.reason, headers);
    else this.#res.writeHead(head.status, headers);
  }

  /** Writes what the last read produced: the whole body at once when it ended in that read. */
  #flush(): void {
    const out = this.#out;
    const res = this.#res;
    const head = this.#pendingHead;
    if (this.#ended) {
      const body = out.length === 0 ? undefined : out.length === 1 ? out[0]! : Buffer.concat(out);
      if (head) this.#writeHead(head, body?.length ?? 0);
      if (body === undefined) res.end();
      else res.end(body);
      this.#out = [];
      // Answered before the upload ended (413, 401...): the rest of the body is dropped with the connection.
      if (!this.#bodySent) this.#reusable = false;
      this.#complete();
      return;
    }
    if (head) this.#writeHead(head, undefined);
    if (out.length === 0) return;
    this.#out = [];
    let ok = true;
    for (const chunk of out) ok = res.write(chunk);
    const socket = this.#connection?.socket;
    if (!ok && socket) {
      socket.pause();
      res.once('drain', () => socket.resume());
    }
  }

  /** Response relayed and request sent: the connection goes back to the pool, or is closed. */
  #complete(): void {
    const connection = this.#connection;
    this.#connection = undefined;
    if (!connection) return;
    if (this.#reusable && !connection.socket.isPaused()) this.#target.pool.release(connection);
    else {
      connection.user = undefined;
      connection.socket.destroy();
    }
  }

  #fail(error: Error): void {
    if (this.#failed) return;
    this.#failed = true;
    const connection = this.#connection;
    this.#connection = undefined;
    if (connection) {
      connection.user = undefined;
      connection.socket.destroy();
    }
    const res = this.#res;
    if (!res.headersSent) {
      const code = (error as NodeJS.ErrnoException).code ?? error.message;
      res
        .writeHead(502, {
          'content-type': 'application/json',
          [this.#target.revisionHeader]: this.#target.name,
        })
        .end(JSON.stringify({ error: 'bad_gateway', message: `revision ${this.#target.name}: ${code}` }));
    } else {
      res.destroy();
    }
    this.#finish('error', undefined);
  }

  #resClosed(): void {
    const res = this.#res;
    if (!res.writableFinished) {
      // The client went away before the response finished: stop the upstream request too.
      const connection = this.#connection;
      this.#connection = undefined;
      if (connection) {
        connection.user = undefined;
        connection.socket.destroy();
      }
      this.#finish('error', this.#status);
      return;
    }
    this.#finish(this.#status === undefined ? 'error' : statusClassOf(this.#status), this.#status);
  }

  #finish(statusClass: StatusClass, status: number | undefined): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#onFinish(statusClass, status);
  }
}
