/**
 * An HTTP/1.1 response reader for the router's upstream connections (RFC 9112): status line and header
 * fields, then the body framed by the request method, the status, Transfer-Encoding (chunked) or
 * Content-Length, else by the end of the connection. It hands the body on decoded, as it arrives,
 * and says whether the connection may carry another request. Interim 1xx responses are skipped.
 */

import { trimOws } from './http-text.js';

/** Response header fields that describe one hop: dropped before the response is relayed. */
export function isHopByHopResponseField(lowerName: string): boolean {
  switch (lowerName) {
    case 'connection':
    case 'keep-alive':
    case 'proxy-authenticate':
    case 'proxy-authorization':
    case 'proxy-connection':
    case 'te':
    case 'trailer':
    case 'transfer-encoding':
    case 'upgrade':
      return true;
    default:
      return false;
  }
}

export interface ResponseHead {
  status: number;
  reason: string;
  /** Header fields to relay, name and value alternating (hop-by-hop fields removed), as `writeHead` takes them. */
  headers: string[];
  /** The relayed fields frame the body already (Content-Length), or there is none to frame (HEAD, 204, 304). */
  framed: boolean;
}

export interface ResponseEvents {
  head(head: ResponseHead): void;
  data(chunk: Buffer): void;
  /** The body is complete; `reusable`: the connection may carry the next request. */
  end(reusable: boolean): void;
}

export class ResponseProtocolError extends Error {}

const MAX_HEAD_BYTES = 64 * 1024;
const MAX_CHUNK_LINE_BYTES = 4096;
const CRLF2 = Buffer.from('\r\n\r\n');
/** Reads up to this size are searched for the end of the head as text. */
const SMALL_READ = 4096;
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: ([^\r\n]*))?$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

enum Phase {
  Head,
  Length,
  ChunkSize,
  ChunkData,
  ChunkDataEnd,
  Trailers,
  UntilClose,
  Done,
}

export class ResponseParser {
  readonly #events: ResponseEvents;
  readonly #requestWasHead: boolean;
  #phase = Phase.Head;
  /** Unconsumed bytes of a head, a chunk-size line or trailers. */
  #pending: Buffer | undefined;
  #remaining = 0;
  #keepAlive = true;

  constructor(requestMethod: string, events: ResponseEvents) {
    this.#requestWasHead = requestMethod === 'HEAD';
    this.#events = events;
  }

  /** True once the head was read (the response can no longer be replaced by an error page). */
  get headRead(): boolean {
    return this.#phase !== Phase.Head;
  }

  get done(): boolean {
    return this.#phase === Phase.Done;
  }

  /**
   * Feeds bytes read from the connection. Throws ResponseProtocolError on a malformed response.
   * `input` need only stay valid during the call: the parser copies what it keeps, and the body parts it
   * hands to `data` are views of `input`.
   */
  feed(input: Buffer): void {
    let buf = input;
    if (this.#pending) {
      buf = Buffer.concat([this.#pending, input]);
      this.#pending = undefined;
    }
    let at = 0;
    while (at < buf.length) {
      switch (this.#phase) {
        case Phase.Head: {
          // A small read is turned into latin1 text once and searched there; a large one is searched as bytes.
          let end: number;
          let head: string;
          if (buf.length - at <= SMALL_READ) {
            const text = buf.toString('latin1', at);
            end = text.indexOf('\r\n\r\n');
            head = end < 0 ? '' : text.slice(0, end);
            if (end >= 0) end += at;
          } else {
            end = buf.indexOf(CRLF2, at);
            head = end < 0 ? '' : buf.toString('latin1', at, end);
          }
          if (end < 0) {
            this.#keep(buf, at, MAX_HEAD_BYTES, 'response head');
            return;
          }
          this.#head(head);
          at = end + 4;
          break;
        }
        case Phase.Length: {
          const n = Math.min(this.#remaining, buf.length - at);
          this.#events.data(buf.subarray(at, at + n));
          at += n;
          this.#remaining -= n;
          if (this.#remaining === 0) this.#finish();
          break;
        }
        case Phase.ChunkSize: {
          const next = this.#chunkSize(buf, at);
          if (next < 0) {
            this.#keep(buf, at, MAX_CHUNK_LINE_BYTES, 'chunk size line');
            return;
          }
          this.#phase = this.#remaining === 0 ? Phase.Trailers : Phase.ChunkData;
          at = next;
          break;
        }
        case Phase.ChunkData: {
          const n = Math.min(this.#remaining, buf.length - at);
          this.#events.data(buf.subarray(at, at + n));
          at += n;
          this.#remaining -= n;
          if (this.#remaining === 0) this.#phase = Phase.ChunkDataEnd;
          break;
        }
        case Phase.ChunkDataEnd: {
          if (buf.length - at < 2) {
            this.#keep(buf, at, 2, 'chunk end');
            return;
          }
          if (buf[at] !== 13 || buf[at + 1] !== 10)
            throw new ResponseProtocolError('chunk not followed by CRLF');
          at += 2;
          this.#phase = Phase.ChunkSize;
          break;
        }
        case Phase.Trailers: {
          // Nearly always no trailer: the empty line at once.
          if (buf[at] === 13 && buf[at + 1] === 10) {
            this.#finish();
            at += 2;
            break;
          }
          const end = buf.indexOf('\r\n', at, 'latin1');
          if (end < 0) {
            this.#keep(buf, at, MAX_HEAD_BYTES, 'trailer section');
            return;
          }
          // Trailer fields are not relayed; an empty line ends the message.
          if (end === at) this.#finish();
          at = end + 2;
          break;
        }
        case Phase.UntilClose:
          this.#events.data(at === 0 ? buf : buf.subarray(at));
          return;
        case Phase.Done:
          // Bytes after the end of a response we did not ask for: the connection is not reusable.
          throw new ResponseProtocolError('data after the end of the response');
      }
    }
  }

  /** The connection ended: completes a body delimited by the close, else the response was cut short. */
  close(): void {
    if (this.#phase === Phase.UntilClose) {
      this.#phase = Phase.Done;
      this.#events.end(false);
      return;
    }
    if (this.#phase !== Phase.Done)
      throw new ResponseProtocolError('connection closed before the response ended');
  }

  #keep(buf: Buffer, at: number, limit: number, what: string): void {
    if (buf.length - at > limit) throw new ResponseProtocolError(`${what} longer than ${limit} bytes`);
    this.#pending = Buffer.from(buf.subarray(at));
  }

  /**
   * Reads a chunk-size line at `at` (RFC 9112 §7.1: hex digits, optional whitespace, extensions after
   * ";", CRLF) into #remaining, byte by byte; returns where the chunk data starts, -1 if the line is
   * not all there yet.
   */
  #chunkSize(buf: Buffer, at: number): number {
    let size = 0;
    let i = at;
    for (; i < buf.length && i - at <= 12; i++) {
      const digit = HEX[buf[i]!]!;
      if (digit < 0) break;
      size = size * 16 + digit;
    }
    if (i === buf.length) return -1;
    const digits = i - at;
    while (i < buf.length && (buf[i] === 32 || buf[i] === 9)) i++;
    if (i < buf.length && buf[i] === 59) {
      // Extensions are not relayed (the body is re-framed): skip to the end of the line.
      const end = buf.indexOf(13, i);
      if (end < 0) return -1;
      if (end - at > MAX_CHUNK_LINE_BYTES)
        throw new ResponseProtocolError(`chunk size line longer than ${MAX_CHUNK_LINE_BYTES} bytes`);
      i = end;
    }
    if (i + 1 >= buf.length) return -1;
    if (digits === 0 || digits > 12 || buf[i] !== 13 || buf[i + 1] !== 10) {
      const line = buf.toString('latin1', at, Math.min(buf.length, at + 40)).split('\r\n', 1)[0];
      throw new ResponseProtocolError(`bad chunk size "${line}"`);
    }
    this.#remaining = size;
    return i + 2;
  }

  #finish(): void {
    this.#phase = Phase.Done;
    this.#events.end(this.#keepAlive);
  }

  #head(text: string): void {
    let eol = text.indexOf('\r\n');
    if (eol < 0) eol = text.length;
    const statusLine = text.slice(0, eol);
    const status = STATUS_LINE.exec(statusLine);
    if (!status) throw new ResponseProtocolError(`bad status line "${statusLine.slice(0, 80)}"`);
    const code = Number(status[2]);
    const headers: string[] = [];
    let connection = '';
    let contentLength: string | undefined;
    let transferEncoding: string | undefined;
    for (let at = eol + 2; at < text.length; ) {
      let end = text.indexOf('\r\n', at);
      if (end < 0) end = text.length;
      const colon = text.indexOf(':', at);
      const name = colon > at && colon < end ? text.slice(at, colon) : '';
      if (!TOKEN.test(name))
        throw new ResponseProtocolError(`bad header line "${text.slice(at, Math.min(end, at + 80))}"`);
      const value = trimOws(text, colon + 1, end);
      at = end + 2;
      const lower = name.toLowerCase();
      if (lower === 'content-length') {
        if (!/^\d{1,15}$/.test(value) || (contentLength !== undefined && contentLength !== value))
          throw new ResponseProtocolError(`bad content-length "${value}"`);
        contentLength = value;
      } else if (lower === 'transfer-encoding') {
        transferEncoding = transferEncoding === undefined ? value : `${transferEncoding}, ${value}`;
      } else if (lower === 'connection') {
        connection = connection ? `${connection},${value.toLowerCase()}` : value.toLowerCase();
      }
      if (!isHopByHopResponseField(lower)) headers.push(name, value);
    }
    if (code < 200) {
      // 100 Continue, 103 Early Hints...: interim, the final response follows. 101 only answers an upgrade.
      if (code === 101) throw new ResponseProtocolError('101 Switching Protocols to a plain request');
      return;
    }
    // Node's own answer, on nearly every response, without splitting.
    const listed = connection === 'keep-alive' ? KEEP_ALIVE : connection.split(',').map((t) => t.trim());
    this.#keepAlive = status[1] === '1' ? !listed.includes('close') : listed.includes('keep-alive');
    // Fields named in Connection are hop-by-hop too (RFC 9110 §7.6.1).
    const relayed = listed.some((t) => t !== '' && t !== 'close' && t !== 'keep-alive')
      ? withoutNamed(headers, new Set(listed))
      : headers;
    const noBody = this.#requestWasHead || code === 204 || code === 304;
    if (transferEncoding !== undefined && !noBody) {
      const codings = transferEncoding.toLowerCase().split(',');
      if (codings[codings.length - 1]!.trim() === 'chunked') {
        this.#phase = Phase.ChunkSize;
      } else {
        this.#phase = Phase.UntilClose;
        this.#keepAlive = false;
      }
      // Content-Length next to Transfer-Encoding is ignored, and not relayed (the body is re-framed).
      this.#events.head({
        status: code,
        reason: status[3] ?? '',
        headers: withoutNamed(relayed, LENGTH),
        framed: false,
      });
      if (contentLength !== undefined) this.#keepAlive = false;
      return;
    }
    this.#events.head({
      status: code,
      reason: status[3] ?? '',
      headers: relayed,
      framed: noBody || contentLength !== undefined,
    });
    if (noBody) {
      this.#finish();
      return;
    }
    if (contentLength !== undefined) {
      this.#remaining = Number(contentLength);
      if (this.#remaining === 0) this.#finish();
      else this.#phase = Phase.Length;
      return;
    }
    this.#phase = Phase.UntilClose;
    this.#keepAlive = false;
  }
}

const LENGTH = new Set(['content-length']);
const KEEP_ALIVE: readonly string[] = ['keep-alive'];
/** Hex digit values by byte, -1 for any other byte. */
const HEX = Int8Array.from({ length: 256 }, (_, byte) => {
  const c = String.fromCharCode(byte);
  return /^[0-9A-Fa-f]$/.test(c) ? Number.parseInt(c, 16) : -1;
});

function withoutNamed(headers: string[], names: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    if (!names.has(headers[i]!.toLowerCase())) out.push(headers[i]!, headers[i + 1]!);
  }
  return out;
}
