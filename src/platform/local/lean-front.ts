import { type Server as HttpServer, METHODS, STATUS_CODES } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { trimOws } from './http-text.js';
import type { Downstream, ForwardedRequest, ProxyExchange } from './proxy-exchange.js';
import { forwardedFields, forwardedHead, isNotForwarded, isReplayable } from './proxy-exchange.js';
import type { ResponseHead } from './response-parser.js';

/** A request the lean front relays itself: plain HTTP/1.1, no upgrade, no Expect, a Content-Length body or none. */
export interface SimpleRequest {
  method: string;
  target: string;
  /** What goes upstream: the head without hop-by-hop fields, with this hop's X-Forwarded-* fields. */
  forward: ForwardedRequest;
  contentLength: number;
  /** The client asked to close the connection after this response. */
  close: boolean;
  /** The X-Prodguard-Revision field, if any (lower-case name given to the parser). */
  pinned: string | undefined;
  /** The monitor's marker field is present. */
  monitor: boolean;
}

const REQUEST_LINE = /^([A-Z]{1,20}) (\/[!-~]*) HTTP\/1\.1$/;
/** Methods node's HTTP server accepts; CONNECT takes a host, not a path, and is left to it. */
const RELAYED_METHODS = new Set(METHODS.filter((m) => m !== 'CONNECT'));
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Parses a request head (latin1 text, without its final blank line) when the lean front may relay it,
 * and builds the head that goes upstream in the same pass; undefined for anything else (malformed,
 * upgrade, Expect, chunked upload, HTTP/1.0, no Host...): node's HTTP server then takes the connection,
 * answers or rejects it as it always did.
 */
export function parseSimpleRequest(
  text: string,
  pinnedName: string,
  monitorName: string,
  remote: string,
): SimpleRequest | undefined {
  let eol = text.indexOf('\r\n');
  if (eol < 0) eol = text.length;
  const line = REQUEST_LINE.exec(text.slice(0, eol));
  if (!line || (line[1] !== 'GET' && !RELAYED_METHODS.has(line[1]!))) return undefined;
  const method = line[1]!;
  const target = line[2]!;
  let head = `${method} ${target} HTTP/1.1\r\n`;
  let contentLength = -1;
  let close = false;
  let host: string | undefined;
  let forwardedFor: string | undefined;
  let pinned: string | undefined;
  let monitor = false;
  // Connection names a field besides close/keep-alive: that field is hop-by-hop too (RFC 9110 §7.6.1).
  let namesFields = false;
  for (let at = eol + 2; at < text.length; ) {
    let end = text.indexOf('\r\n', at);
    if (end < 0) end = text.length;
    const colon = text.indexOf(':', at);
    if (colon <= at || colon > end) return undefined;
    const name = text.slice(at, colon);
    const value = trimOws(text, colon + 1, end);
    at = end + 2;
    if (!TOKEN.test(name) || !FIELD_VALUE.test(value)) return undefined;
    const lower = name.toLowerCase();
    switch (lower) {
      case 'content-length':
        if (contentLength >= 0 || !/^\d{1,15}$/.test(value)) return undefined;
        contentLength = Number(value);
        break;
      case 'transfer-encoding':
      case 'expect':
      case 'upgrade':
        return undefined;
      case 'connection':
        if (value === 'keep-alive') break;
        for (const t of value.toLowerCase().split(',')) {
          const token = t.trim();
          if (token === 'upgrade') return undefined;
          if (token === 'close') close = true;
          else if (token !== '' && token !== 'keep-alive') namesFields = true;
        }
        break;
      case 'host':
        if (host !== undefined) return undefined;
        host = value;
        break;
      case 'x-forwarded-for':
        forwardedFor = forwardedFor ? `${forwardedFor}, ${value}` : value;
        break;
      case pinnedName:
        if (pinned !== undefined) return undefined;
        pinned = value;
        break;
      case monitorName:
        monitor = true;
        break;
    }
    if (!isNotForwarded(lower)) head += `${name}: ${value}\r\n`;
  }
  if (host === undefined) return undefined;
  const hasBody = contentLength >= 0;
  const forward: ForwardedRequest = namesFields
    ? forwardedHead(method, target, rawFields(text, eol), remote)
    : {
        head: `${head}${forwardedFields(forwardedFor, remote, host)}\r\n`,
        hasBody,
        chunked: false,
        replayable: isReplayable(method, hasBody),
      };
  return {
    method,
    target,
    forward,
    contentLength: Math.max(0, contentLength),
    close,
    pinned,
    monitor,
  };
}

/** Name and value of every field of an already validated head, alternating, as node's rawHeaders. */
function rawFields(text: string, firstLineEnd: number): string[] {
  const raw: string[] = [];
  for (let at = firstLineEnd + 2; at < text.length; ) {
    let end = text.indexOf('\r\n', at);
    if (end < 0) end = text.length;
    const colon = text.indexOf(':', at);
    raw.push(text.slice(at, colon), trimOws(text, colon + 1, end));
    at = end + 2;
  }
  return raw;
}

export interface LeanFrontHooks {
  /** Starts relaying `request` (undefined: the front hands the connection to `fallback`). */
  relay(request: SimpleRequest, forward: ForwardedRequest, down: Downstream): ProxyExchange | undefined;
  /** Node's HTTP server for everything else; it receives handed-over connections as 'connection' events. */
  fallback: HttpServer;
  /** Idle keep-alive connections are closed after this long (as the HTTP server's keepAliveTimeout). */
  keepAliveMs: number;
}

const MAX_HEAD_BYTES = 16 * 1024;
/** Bytes of pipelined requests buffered while a response is in flight before the front stops reading. */
const MAX_BUFFERED = 64 * 1024;

/**
 * The router's listener: a TCP server that reads plain HTTP/1.1 requests itself and relays them with
 * ProxyExchange, writing responses straight to the socket; any request it does not handle hands the
 * connection (bytes read so far included) to node's HTTP server for good.
 */
export function createLeanFront(hooks: LeanFrontHooks): { server: Server; sockets: Set<Socket> } {
  const sockets = new Set<Socket>();
  const connections = new Set<FrontConnection>();
  // Half-open like node's HTTP server socket, so a connection handed over behaves as one it accepted.
  const server = createServer({ noDelay: true, allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    const connection = new FrontConnection(socket, hooks, () => {
      sockets.delete(socket);
      connections.delete(connection);
    });
    connections.add(connection);
    connection.begin();
  });
  // One sweep closes idle keep-alive connections, instead of a timer per connection re-armed on every read
  // and write: a connection costs less to open, and a request less to serve.
  const sweep = setInterval(
    () => {
      const now = performance.now();
      for (const connection of connections) connection.closeIfIdle(now, hooks.keepAliveMs);
    },
    Math.max(10, Math.min(5000, hooks.keepAliveMs / 4)),
  ).unref();
  server.on('close', () => clearInterval(sweep));
  return { server, sockets };
}

class FrontConnection {
  readonly #socket: Socket;
  readonly #hooks: LeanFrontHooks;
  readonly #forget: () => void;
  #buf: Buffer | undefined;
  #down: RawDownstream | undefined;
  #bodyTo: ProxyExchange | undefined;
  #bodyLeft = 0;
  #remote: string | undefined;
  /** When the client last sent bytes or got the end of a response (performance.now()). */
  #lastActive = performance.now();
  readonly #onData = (chunk: Buffer) => this.#data(chunk);
  readonly #onClose = () => this.#closed();
  readonly #onError = () => this.#socket.destroy();
  /** The client shut its side: a request in flight is abandoned, as node's HTTP server does by default. */
  readonly #onEnd = () => {
    const socket = this.#socket;
    // Everything written is in the kernel already: closing sends it, then FIN, in one system call (the
    // client has read its last response; there is nothing unread to turn the close into a reset).
    if (this.#down || socket.writableLength === 0) socket.destroy();
    else socket.end();
  };

  constructor(socket: Socket, hooks: LeanFrontHooks, forget: () => void) {
    this.#socket = socket;
    this.#hooks = hooks;
    this.#forget = forget;
  }

  begin(): void {
    const socket = this.#socket;
    socket.on('data', this.#onData);
    socket.on('close', this.#onClose);
    socket.on('error', this.#onError);
    socket.on('end', this.#onEnd);
  }

  get socket(): Socket {
    return this.#socket;
  }

  /** Idle longer than `keepAliveMs` with no request in flight: closed, as node's keepAliveTimeout does. */
  closeIfIdle(now: number, keepAliveMs: number): void {
    if (!this.#down && this.#bodyTo === undefined && now - this.#lastActive > keepAliveMs)
      this.#socket.destroy();
  }

  #data(input: Buffer): void {
    this.#lastActive = performance.now();
    let chunk = input;
    if (this.#bodyLeft > 0) {
      const n = Math.min(this.#bodyLeft, chunk.length);
      this.#body(chunk.subarray(0, n));
      chunk = chunk.subarray(n);
      if (chunk.length === 0) return;
    }
    this.#buf = this.#buf ? Buffer.concat([this.#buf, chunk]) : chunk;
    if (!this.#down) this.#next();
    else if (this.#buf.length > MAX_BUFFERED) this.#socket.pause();
  }

  #body(part: Buffer): void {
    const exchange = this.#bodyTo!;
    this.#bodyLeft -= part.length;
    if (part.length > 0 && !exchange.writeBody(part)) {
      this.#socket.pause();
      exchange.onceUpstreamDrain(() => this.#socket.resume());
    }
    if (this.#bodyLeft === 0) {
      this.#bodyTo = undefined;
      exchange.endBody();
    }
  }

  /** Reads the next request from the buffer, if whole, and relays it (or hands the connection over). */
  #next(): void {
    const buf = this.#buf;
    if (!buf || this.#down || this.#bodyLeft > 0 || this.#socket.destroyed) return;
    // One conversion: the head is found and parsed as latin1 text (one char per byte).
    const text = buf.toString('latin1', 0, Math.min(buf.length, MAX_HEAD_BYTES + 4));
    const end = text.indexOf('\r\n\r\n');
    if (end < 0) {
      if (buf.length > MAX_HEAD_BYTES) this.#handover();
      return;
    }
    // Asked once per connection: each read of it is a system call.
    this.#remote ??= this.#socket.remoteAddress ?? '';
    const request = parseSimpleRequest(text.slice(0, end), PINNED, MONITOR, this.#remote);
    if (!request) {
      this.#handover();
      return;
    }
    const forward = request.forward;
    const down = new RawDownstream(this, request.method, request.close);
    const exchange = this.#hooks.relay(request, forward, down);
    if (!exchange) {
      this.#handover();
      return;
    }
    this.#down = down;
    down.exchange = exchange;
    const rest = buf.subarray(end + 4);
    this.#buf = rest.length > 0 ? rest : undefined;
    exchange.start();
    if (forward.hasBody) {
      this.#bodyTo = exchange;
      this.#bodyLeft = request.contentLength;
      const n = Math.min(this.#bodyLeft, this.#buf?.length ?? 0);
      if (n > 0) {
        const part = this.#buf!.subarray(0, n);
        this.#buf = n < this.#buf!.length ? this.#buf!.subarray(n) : undefined;
        this.#body(part);
      } else if (this.#bodyLeft === 0) {
        this.#body(Buffer.alloc(0));
      }
    }
  }

  /** The response was written whole: the next pipelined request, or wait for one. */
  responseDone(down: RawDownstream, close: boolean): void {
    if (this.#down !== down) return;
    this.#down = undefined;
    this.#lastActive = performance.now();
    down.exchange?.closed(true);
    if (close) {
      this.#socket.end();
      return;
    }
    if (this.#socket.isPaused() && this.#bodyTo === undefined) this.#socket.resume();
    this.#next();
  }

  #closed(): void {
    this.#forget();
    const down = this.#down;
    this.#down = undefined;
    down?.exchange?.closed(false);
  }

  #handover(): void {
    const socket = this.#socket;
    socket.off('data', this.#onData);
    socket.off('close', this.#onClose);
    socket.off('error', this.#onError);
    socket.off('end', this.#onEnd);
    this.#forget();
    if (this.#buf) socket.unshift(this.#buf);
    this.#buf = undefined;
    this.#hooks.fallback.emit('connection', socket);
  }
}

export const PINNED = 'x-prodguard-revision';
export const MONITOR = 'x-prodguard-monitor';

const LAST_CHUNK = '0\r\n\r\n';

/** A response written straight to the front's socket: the head is held back to go out with the first bytes. */
class RawDownstream implements Downstream {
  readonly #front: FrontConnection;
  readonly #noBody: boolean;
  readonly #close: boolean;
  exchange: ProxyExchange | undefined;
  #head: string | undefined;
  #chunked = false;
  #sent = false;

  constructor(front: FrontConnection, method: string, close: boolean) {
    this.#front = front;
    this.#noBody = method === 'HEAD';
    this.#close = close;
  }

  get headersSent(): boolean {
    return this.#sent || this.#head !== undefined;
  }

  head(head: ResponseHead, wholeBody: number | undefined): void {
    let text = `HTTP/1.1 ${head.status} ${head.reason || STATUS_CODES[head.status] || 'Unknown'}\r\n`;
    const h = head.headers;
    for (let i = 0; i < h.length; i += 2) text += `${h[i]}: ${h[i + 1]}\r\n`;
    const bodyless = this.#noBody || head.status === 204 || head.status === 304;
    if (!head.framed && !bodyless) {
      if (wholeBody !== undefined) text += `content-length: ${wholeBody}\r\n`;
      else {
        text += 'transfer-encoding: chunked\r\n';
        this.#chunked = true;
      }
    }
    if (this.#close) text += 'connection: close\r\n';
    this.#head = `${text}\r\n`;
  }

  write(chunk: Buffer): boolean {
    const text = this.#takeHead() + this.#framed(chunk);
    return text.length === 0 || this.#front.socket.write(text, 'latin1');
  }

  onceDrain(resume: () => void): void {
    this.#front.socket.once('drain', resume);
  }

  end(body: Buffer | undefined): void {
    let text = this.#takeHead();
    if (body && body.length > 0) text += this.#framed(body);
    if (this.#chunked && !this.#noBody) text += LAST_CHUNK;
    if (text.length > 0) this.#front.socket.write(text, 'latin1');
    this.#front.responseDone(this, this.#close);
  }

  destroy(): void {
    this.#front.socket.destroy();
  }

  fail(status: number, headers: Record<string, string>, body: string): void {
    const length = Buffer.byteLength(body);
    let text = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n`;
    for (const [name, value] of Object.entries(headers)) text += `${name}: ${value}\r\n`;
    text += `content-length: ${length}\r\n${this.#close ? 'connection: close\r\n' : ''}\r\n`;
    this.#head = undefined;
    this.#sent = true;
    const socket = this.#front.socket;
    socket.write(this.#noBody ? text : text + body);
    this.#front.responseDone(this, this.#close);
  }

  /** The head not yet written ('' once it was). */
  #takeHead(): string {
    const head = this.#head;
    if (head === undefined) return '';
    this.#head = undefined;
    this.#sent = true;
    return head;
  }

  /**
   * Body bytes as they go on the wire, as one latin1 string: the bytes pass unchanged, the read buffer
   * they sit in is free again once this returns, and head and body leave in one write.
   */
  #framed(part: Buffer): string {
    if (this.#noBody) return '';
    const bytes = part.toString('latin1');
    return this.#chunked ? `${part.length.toString(16)}\r\n${bytes}\r\n` : bytes;
  }
}
