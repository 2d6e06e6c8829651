/**
 * An HTTP/1.1 response reader for the router's upstream connections (RFC 9112): status line and header
 * fields, then the body framed by the request method, the status, Transfer-Encoding (chunked) or
 * Content-Length, else by the end of the connection. It hands the body on decoded, as it arrives,
 * and says whether the connection may carry another request. Interim 1xx responses are skipped.
 */

/** Response header fields that describe one hop: dropped before the response is relayed. */
export const HOP_BY_HOP_RESPONSE = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

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

  /** Feeds bytes read from the connection. Throws ResponseProtocolError on a malformed response. */
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
          const end = buf.indexOf(CRLF2, at);
          if (end < 0) {
            this.#keep(buf, at, MAX_HEAD_BYTES, 'response head');
            return;
          }
          this.#head(buf.toString('latin1', at, end));
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
          const end = buf.indexOf('\r\n', at, 'latin1');
          if (end < 0) {
            this.#keep(buf, at, MAX_CHUNK_LINE_BYTES, 'chunk size line');
            return;
          }
          const line = buf.toString('latin1', at, end);
          const size = line.split(';', 1)[0]!.trim();
          if (!/^[0-9A-Fa-f]{1,12}$/.test(size)) throw new ResponseProtocolError(`bad chunk size "${line}"`);
          this.#remaining = Number.parseInt(size, 16);
          this.#phase = this.#remaining === 0 ? Phase.Trailers : Phase.ChunkData;
          at = end + 2;
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
    this.#pending = buf.subarray(at);
  }

  #finish(): void {
    this.#phase = Phase.Done;
    this.#events.end(this.#keepAlive);
  }

  #head(text: string): void {
    const lines = text.split('\r\n');
    const status = STATUS_LINE.exec(lines[0]!);
    if (!status) throw new ResponseProtocolError(`bad status line "${lines[0]!.slice(0, 80)}"`);
    const code = Number(status[2]);
    const headers: string[] = [];
    let connection = '';
    let contentLength: string | undefined;
    let transferEncoding: string | undefined;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      const name = colon > 0 ? line.slice(0, colon) : '';
      if (!TOKEN.test(name)) throw new ResponseProtocolError(`bad header line "${line.slice(0, 80)}"`);
      const value = line.slice(colon + 1).trim();
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
      if (!HOP_BY_HOP_RESPONSE.has(lower)) headers.push(name, value);
    }
    if (code < 200) {
      // 100 Continue, 103 Early Hints...: interim, the final response follows. 101 only answers an upgrade.
      if (code === 101) throw new ResponseProtocolError('101 Switching Protocols to a plain request');
      return;
    }
    const listed = connection.split(',').map((t) => t.trim());
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

function withoutNamed(headers: string[], names: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    if (!names.has(headers[i]!.toLowerCase())) out.push(headers[i]!, headers[i + 1]!);
  }
  return out;
}
