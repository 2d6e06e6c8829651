import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Status names as Google spells them in `error.status`. */
export type GoogleStatus =
  | 'INVALID_ARGUMENT'
  | 'FAILED_PRECONDITION'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'ABORTED'
  | 'PERMISSION_DENIED'
  | 'RESOURCE_EXHAUSTED'
  | 'UNAVAILABLE'
  | 'INTERNAL';

const HTTP_OF: Record<GoogleStatus, number> = {
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  ABORTED: 409,
  PERMISSION_DENIED: 403,
  RESOURCE_EXHAUSTED: 429,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

/** Thrown by handlers; becomes Google's error envelope `{error:{code,message,status}}`. */
export class FakeGoogleError extends Error {
  constructor(
    readonly status: GoogleStatus,
    message: string,
  ) {
    super(message);
  }
  get httpStatus(): number {
    return HTTP_OF[this.status];
  }
}

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  params: string[];
  headers: IncomingMessage['headers'];
}

export interface FakeReply {
  status?: number;
  json?: unknown;
  text?: string;
  headers?: Record<string, string>;
}

type Handler = (req: FakeRequest) => unknown | FakeReply | Promise<unknown | FakeReply>;

interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
  raw: boolean;
}

/** A failure served instead of the real answer to the next `times` matching calls. */
export interface InjectedFailure {
  method?: string;
  /** Substring of the path (`:addVersion`, `/services/api`). */
  pathIncludes?: string;
  status: GoogleStatus;
  message?: string;
  times?: number;
  /** Runs when the failure is served (e.g. another client changes the resource: a real etag conflict). */
  onServe?: () => void;
}

export interface LoggedRequest {
  method: string;
  path: string;
  query: string;
  body: unknown;
  authorization: string | undefined;
  status: number;
}

/** node:http on 127.0.0.1 with a route table, failure injection and a request log. */
export class FakeHttpServer {
  readonly #routes: Route[] = [];
  readonly #failures: (InjectedFailure & { left: number })[] = [];
  readonly log: LoggedRequest[] = [];
  #server: Server | undefined;
  #url = '';

  get url(): string {
    return this.#url;
  }

  route(method: string, pattern: RegExp, handler: Handler): void {
    this.#routes.push({ method, pattern, handler, raw: false });
  }

  /** A route whose handler returns a FakeReply (status, text) instead of JSON. */
  rawRoute(method: string, pattern: RegExp, handler: (req: FakeRequest) => FakeReply): void {
    this.#routes.push({ method, pattern, handler, raw: true });
  }

  inject(failure: InjectedFailure): void {
    this.#failures.push({ ...failure, left: failure.times ?? 1 });
  }

  async listen(): Promise<string> {
    const server = createServer((req, res) => {
      void this.#handle(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.#server = server;
    this.#url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.#url;
  }

  async close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    // undici keeps connections alive; without this close() waits for them.
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const path = decodeURIComponent(url.pathname);
    let body: unknown;
    const send = (status: number, payload: string, headers: Record<string, string> = {}) => {
      this.log.push({
        method,
        path,
        query: url.search,
        body,
        authorization: req.headers.authorization,
        status,
      });
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(payload);
    };
    const sendError = (error: FakeGoogleError) =>
      send(
        error.httpStatus,
        JSON.stringify({ error: { code: error.httpStatus, message: error.message, status: error.status } }),
      );
    try {
      body = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      sendError(new FakeGoogleError('INVALID_ARGUMENT', 'Invalid JSON payload received.'));
      return;
    }
    const failure = this.#failures.find(
      (f) =>
        f.left > 0 &&
        (f.method === undefined || f.method === method) &&
        (f.pathIncludes === undefined || path.includes(f.pathIncludes)),
    );
    if (failure) {
      failure.left -= 1;
      failure.onServe?.();
      sendError(new FakeGoogleError(failure.status, failure.message ?? `Injected ${failure.status}.`));
      return;
    }
    for (const route of this.#routes) {
      if (route.method !== method) continue;
      const match = route.pattern.exec(path);
      if (!match) continue;
      try {
        const result = await route.handler({
          method,
          path,
          query: url.searchParams,
          body,
          params: match.slice(1),
          headers: req.headers,
        });
        if (route.raw) {
          const reply = result as FakeReply;
          send(reply.status ?? 200, reply.text ?? JSON.stringify(reply.json ?? {}), reply.headers);
        } else send(200, JSON.stringify(result ?? {}));
      } catch (error) {
        if (error instanceof FakeGoogleError) sendError(error);
        else
          sendError(new FakeGoogleError('INTERNAL', error instanceof Error ? error.message : String(error)));
      }
      return;
    }
    sendError(new FakeGoogleError('NOT_FOUND', `The fake has no route for ${method} ${path}.`));
  }
}

export function requireObject(body: unknown, what: string): Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw new FakeGoogleError('INVALID_ARGUMENT', `${what}: a JSON object body is required.`);
  return body as Record<string, unknown>;
}
