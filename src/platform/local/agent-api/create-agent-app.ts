import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { methodNotAllowed } from 'hono/method-not-allowed';
import { type RequestIdVariables, requestId } from 'hono/request-id';
import { isProdguardError, type ProdguardError } from '../../../kernel/errors.js';
import type { Logger } from '../../../kernel/logger.js';
import type { Platform } from '../../platform.js';
import { isAuthorized } from '../agent-token.js';
import { platformError } from '../platform-errors.js';
import type { RevisionUser } from '../revision-user.js';
import { errorBody, invalidRequest, statusForError } from './agent-api-error.js';
import {
  createRevisionBody,
  DEFAULT_METRICS_WINDOW_MS,
  DEFAULT_WAIT_READY_MS,
  emptyBody,
  metricsQuery,
  setMaintenanceBody,
  setTrafficBody,
  waitReadyBody,
} from './agent-api-schemas.js';
import { readJsonBody, readPathParams, readQuery, splitCustomMethod } from './read-request.js';

export interface AgentInfo {
  pid: number;
  startedAt: string;
  version: 1;
  /** Who revisions run as (absent from agents older than app.runAs). */
  revisionUser?: RevisionUser;
}

export interface AgentAppDeps {
  platform: Platform;
  /** Prometheus exposition of every router, with its content type. */
  prometheus: () => Promise<{ contentType: string; text: string }>;
  token: string;
  info: AgentInfo;
  log: Pick<Logger, 'error' | 'debug'>;
  /** Called after answering POST /v2/agent:shutdown. */
  onShutdown: () => void;
}

export type AgentAppEnv = { Variables: RequestIdVariables };

/** Request bodies above this are refused with 413 before they are read whole. */
export const MAX_BODY_BYTES = 1024 * 1024;

const REVISION_VERBS = ['waitReady', 'start', 'stop'] as const;
type RevisionVerb = (typeof REVISION_VERBS)[number];
const isRevisionVerb = (verb: string): verb is RevisionVerb =>
  (REVISION_VERBS as readonly string[]).includes(verb);

/**
 * The agent's HTTP API as a value: Cloud Run Admin v2 shapes (services, revisions, traffic) over a Platform.
 * Every route, `/metrics` included, needs `Authorization: Bearer <token>`. Bodies and queries are checked
 * with zod; every error answers `{ code, message, hint, kind, details? }`, mapped in one place.
 *
 * @example
 * const app = createAgentApp({ platform, prometheus, token, info, log, onShutdown });
 * const res = await app.request('/v2/services', { headers: { authorization: `Bearer ${token}` } });
 */
export function createAgentApp(deps: AgentAppDeps): Hono<AgentAppEnv> {
  const { platform } = deps;
  const app = new Hono<AgentAppEnv>();

  app.use(requestId());
  app.use(async (_c, next) => {
    try {
      await next();
    } catch (error) {
      // hono hands only Error instances to onError; an abort reason may be a bare string.
      throw error instanceof Error ? error : new Error(String(error), { cause: error });
    }
  });
  app.use(async (c, next) => {
    if (!isAuthorized(c.req.header('authorization'), deps.token)) {
      throw platformError('PRODGUARD_PLATFORM_UNAUTHORIZED', 'The agent API needs a bearer token.', {
        hint: 'Send `Authorization: Bearer <token>` with the token from <stateDir>/agent/token.',
        kind: 'refused',
      });
    }
    await next();
  });
  app.use(
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw platformError(
          'PRODGUARD_PLATFORM_BODY_TOO_LARGE',
          `Request body over ${MAX_BODY_BYTES} bytes.`,
          {
            kind: 'usage',
            hint: 'Revision specs are small; a body this large is not one the CLI sends.',
          },
        );
      },
    }),
  );
  app.use(
    methodNotAllowed({
      app,
      onMethodNotAllowed: (c, methods) => {
        const error = methodNotAllowedError(c.req.method, c.req.path, methods);
        return c.json(errorBody(error), 405, { allow: methods.join(', ') });
      },
    }),
  );

  app.get('/metrics', async (c) => {
    const { contentType, text } = await deps.prometheus();
    return c.body(text, 200, { 'content-type': contentType });
  });

  app.get('/v2/agent', (c) => c.json(deps.info));
  app.post('/v2/agent:shutdown', async (c) => {
    await readJsonBody(c, emptyBody);
    setImmediate(deps.onShutdown);
    return c.json({ stopping: true });
  });

  app.get('/v2/services', async (c) => c.json({ services: await platform.listServices() }));
  app.get('/v2/services/:service', async (c) => {
    const { service } = readPathParams(c);
    return c.json(await platform.getService(service!));
  });

  app.get('/v2/services/:service/revisions', async (c) => {
    const { service } = readPathParams(c);
    return c.json({ revisions: await platform.listRevisions(service!) });
  });
  app.post('/v2/services/:service/revisions', async (c) => {
    const { service } = readPathParams(c);
    const { service: echoed, ...spec } = await readJsonBody(c, createRevisionBody);
    if (echoed !== undefined && echoed !== service) {
      throw invalidRequest(`body of POST ${c.req.path}`, [
        { path: 'service', message: `"${echoed}" does not match the path's "${service}"` },
      ]);
    }
    return c.json(await platform.createRevision({ ...spec, service: service! }));
  });

  // `<revision>` alone is the resource; `<revision>:<verb>` is one of its custom methods (POST only).
  app.get('/v2/services/:service/revisions/:target', async (c) => {
    const { service } = readPathParams(c, 'target');
    const { name, verb } = splitCustomMethod(c, 'target');
    if (verb !== undefined) {
      if (!isRevisionVerb(verb)) throw unknownVerb(c.req.path, verb);
      throw methodNotAllowedError('GET', c.req.path, ['POST']);
    }
    return c.json(await platform.getRevision(service!, name));
  });
  app.post('/v2/services/:service/revisions/:target', async (c) => {
    const { service } = readPathParams(c, 'target');
    const { name, verb } = splitCustomMethod(c, 'target');
    if (verb === undefined) throw methodNotAllowedError('POST', c.req.path, ['GET', 'HEAD']);
    if (!isRevisionVerb(verb)) throw unknownVerb(c.req.path, verb);
    switch (verb) {
      case 'waitReady': {
        const { timeoutMs } = await readJsonBody(c, waitReadyBody);
        const waited = await platform.waitReady(
          service!,
          name,
          timeoutMs ?? DEFAULT_WAIT_READY_MS,
          c.req.raw.signal,
        );
        return c.json(waited);
      }
      case 'start':
        await readJsonBody(c, emptyBody);
        return c.json(await platform.startRevision(service!, name));
      case 'stop':
        await readJsonBody(c, emptyBody);
        await platform.stopRevision(service!, name);
        return c.json(await platform.getRevision(service!, name));
    }
  });

  app.put('/v2/services/:service/traffic', async (c) => {
    const { service } = readPathParams(c);
    const { targets } = await readJsonBody(c, setTrafficBody);
    return c.json(await platform.setTraffic(service!, targets));
  });
  app.put('/v2/services/:service/maintenance', async (c) => {
    const { service } = readPathParams(c);
    const { settings } = await readJsonBody(c, setMaintenanceBody);
    return c.json(await platform.setMaintenance(service!, settings));
  });
  app.get('/v2/services/:service/metrics', async (c) => {
    const { service } = readPathParams(c);
    const { windowMs } = readQuery(c, metricsQuery);
    return c.json({ metrics: await platform.getMetrics(service!, windowMs ?? DEFAULT_METRICS_WINDOW_MS) });
  });

  app.notFound((c) => {
    const error = platformError(
      'PRODGUARD_PLATFORM_ROUTE_NOT_FOUND',
      `No route ${c.req.method} ${c.req.path}.`,
      {
        kind: 'usage',
        hint: 'docs/platform.md ("Agent API") lists the routes.',
      },
    );
    return c.json(errorBody(error), 404);
  });

  app.onError((error, c) => {
    if (isProdguardError(error)) {
      const status = statusForError(error);
      const allow = error.details?.allow;
      return c.json(errorBody(error), status, {
        ...(status === 401 ? { 'www-authenticate': 'Bearer' } : {}),
        ...(Array.isArray(allow) ? { allow: allow.join(', ') } : {}),
      });
    }
    if (c.req.raw.signal.aborted) {
      // The caller went away (e.g. a cancelled waitReady): nobody reads this answer.
      deps.log.debug(`agent API: ${c.req.method} ${c.req.path} abandoned by the client`, {
        requestId: c.get('requestId'),
      });
      return c.body(null, 499 as never);
    }
    deps.log.error(`agent API error on ${c.req.method} ${c.req.path}: ${error.stack ?? String(error)}`, {
      requestId: c.get('requestId'),
    });
    return c.json(
      {
        code: 'PRODGUARD_INTERNAL',
        message: `Internal agent error (see the agent log, request ${c.get('requestId')}).`,
        kind: 'internal',
      },
      500,
    );
  });

  return app;
}

function methodNotAllowedError(method: string, path: string, allowed: readonly string[]): ProdguardError {
  return platformError('PRODGUARD_PLATFORM_METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}.`, {
    kind: 'usage',
    hint: `Allowed: ${allowed.join(', ')}.`,
    details: { allow: [...allowed] },
  });
}

function unknownVerb(path: string, verb: string): ProdguardError {
  return platformError('PRODGUARD_PLATFORM_ROUTE_NOT_FOUND', `No custom method "${verb}" in ${path}.`, {
    kind: 'usage',
    hint: `Revisions have ${REVISION_VERBS.map((v) => `:${v}`).join(', ')} (POST).`,
  });
}
