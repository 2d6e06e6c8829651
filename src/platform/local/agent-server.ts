import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isProdguardError, type ProdguardError } from '../../kernel/errors.js';
import type { Logger } from '../../kernel/logger.js';
import type { MaintenanceSettings, RevisionSpec, TrafficTarget } from '../platform.js';
import { isAuthorized } from './agent-token.js';
import type { LocalAgent } from './local-agent.js';
import { platformError } from './platform-errors.js';

export interface AgentInfo {
  pid: number;
  startedAt: string;
  version: 1;
}

export interface AgentServerOptions {
  agent: LocalAgent;
  token: string;
  info: AgentInfo;
  log: Logger;
  /** Called after answering POST /v2/agent:shutdown. */
  onShutdown: () => void;
}

type Handler = (params: string[], body: unknown, url: URL, signal: AbortSignal) => Promise<unknown>;

/**
 * The agent's HTTP API, shaped like Cloud Run Admin v2 (services, revisions, traffic), over a LocalAgent.
 * Every route needs `Authorization: Bearer <token>`; errors answer `{ code, message, hint, kind }`.
 */
export function createAgentServer(options: AgentServerOptions): Server {
  const { agent } = options;
  const routes: [string, RegExp, Handler][] = [
    ['GET', /^\/v2\/agent$/, async () => options.info],
    [
      'POST',
      /^\/v2\/agent:shutdown$/,
      async () => {
        setImmediate(options.onShutdown);
        return { stopping: true };
      },
    ],
    ['GET', /^\/v2\/services$/, async () => ({ services: await agent.listServices() })],
    ['GET', /^\/v2\/services\/([^/]+)$/, async ([s]) => agent.getService(s!)],
    [
      'GET',
      /^\/v2\/services\/([^/]+)\/revisions$/,
      async ([s]) => ({ revisions: await agent.listRevisions(s!) }),
    ],
    [
      'POST',
      /^\/v2\/services\/([^/]+)\/revisions$/,
      async ([s], body) => agent.createRevision({ ...(body as RevisionSpec), service: s! }),
    ],
    ['GET', /^\/v2\/services\/([^/]+)\/revisions\/([^/:]+)$/, async ([s, r]) => agent.getRevision(s!, r!)],
    [
      'POST',
      /^\/v2\/services\/([^/]+)\/revisions\/([^/:]+):waitReady$/,
      async ([s, r], body, _url, signal) =>
        agent.waitReady(s!, r!, Number((body as { timeoutMs?: number }).timeoutMs ?? 60_000), signal),
    ],
    [
      'POST',
      /^\/v2\/services\/([^/]+)\/revisions\/([^/:]+):start$/,
      async ([s, r]) => agent.startRevision(s!, r!),
    ],
    [
      'POST',
      /^\/v2\/services\/([^/]+)\/revisions\/([^/:]+):stop$/,
      async ([s, r]) => {
        await agent.stopRevision(s!, r!);
        return agent.getRevision(s!, r!);
      },
    ],
    [
      'PUT',
      /^\/v2\/services\/([^/]+)\/traffic$/,
      async ([s], body) => agent.setTraffic(s!, (body as { targets: TrafficTarget[] }).targets ?? []),
    ],
    [
      'PUT',
      /^\/v2\/services\/([^/]+)\/maintenance$/,
      async ([s], body) =>
        agent.setMaintenance(s!, (body as { settings: MaintenanceSettings | null }).settings),
    ],
    [
      'GET',
      /^\/v2\/services\/([^/]+)\/metrics$/,
      async ([s], _body, url) => ({
        metrics: await agent.getMetrics(s!, Number(url.searchParams.get('windowMs') ?? 60_000)),
      }),
    ],
  ];

  return createServer(async (req, res) => {
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    try {
      if (!isAuthorized(req.headers.authorization, options.token)) {
        req.resume();
        return send(res, 401, {
          code: 'PRODGUARD_PLATFORM_UNAUTHORIZED',
          message: 'The agent API needs a bearer token.',
          hint: 'Send `Authorization: Bearer <token>` with the token from <stateDir>/agent/token.',
          kind: 'refused',
        });
      }
      const url = new URL(req.url ?? '/', 'http://agent');
      if (req.method === 'GET' && url.pathname === '/metrics') {
        req.resume();
        res.writeHead(200, { 'content-type': agent.metrics.registry.contentType });
        res.end(await agent.prometheus());
        return;
      }
      const body = await readJson(req);
      for (const [method, pattern, handler] of routes) {
        const match = pattern.exec(url.pathname);
        if (!match || method !== req.method) continue;
        const params = match.slice(1).map((p) => decodeURIComponent(p));
        return send(res, 200, await handler(params, body, url, controller.signal));
      }
      return send(res, 404, {
        code: 'PRODGUARD_PLATFORM_BAD_REQUEST',
        message: `No route ${req.method} ${url.pathname}.`,
        kind: 'usage',
      });
    } catch (error) {
      if (isProdguardError(error)) {
        return send(res, statusFor(error), {
          code: error.code,
          message: error.message,
          ...(error.hint ? { hint: error.hint } : {}),
          kind: error.kind,
          ...(error.details ? { details: error.details } : {}),
        });
      }
      options.log.error(`agent API error: ${(error as Error).stack ?? String(error)}`);
      return send(res, 500, {
        code: 'PRODGUARD_INTERNAL',
        message: 'Internal agent error (see the agent log).',
        kind: 'internal',
      });
    }
  });
}

function statusFor(error: ProdguardError): number {
  if (error.code.endsWith('_NOT_FOUND')) return 404;
  if (error.kind === 'usage') return 400;
  if (error.kind === 'refused') return 409;
  return 500;
}

function send(res: ServerResponse, status: number, value: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 1024 * 1024)
      throw platformError('PRODGUARD_PLATFORM_BAD_REQUEST', 'Request body over 1 MiB.', { kind: 'usage' });
    chunks.push(chunk as Buffer);
  }
  if (chunks.length === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (error) {
    throw platformError('PRODGUARD_PLATFORM_BAD_REQUEST', 'Request body is not JSON.', {
      kind: 'usage',
      cause: error,
    });
  }
}
