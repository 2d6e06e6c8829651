import { setTimeout as delay } from 'node:timers/promises';
import { generateResume, validateResumeData } from './generate-resume.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { renderResumePdf } from './render-pdf.js';

const MAX_BODY_BYTES = 256 * 1024;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const UUID = '([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})';

class HttpError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * The API as a value: `handle(req, res)` for node:http. Dependencies are passed in, so tests and the
 * server build it the same way. Data goes through `prisma` (the generated Prisma client), whose driver
 * adapter sends every query through `pool`, the resilient pool of @prodguard/runtime.
 */
export function createApp({ prisma, pool, tokens, health, fault, log, release, metricsText }) {
  const routes = [
    ['GET', /^\/$/, info],
    ['GET', /^\/metrics$/, metrics],
    ['GET', /^\/api\/templates$/, listTemplates],
    ['POST', /^\/api\/register$/, register],
    ['POST', /^\/api\/login$/, login],
    ['GET', /^\/api\/me$/, me],
    ['GET', /^\/api\/resumes$/, listResumes],
    ['POST', /^\/api\/resumes$/, uploadResume],
    ['GET', new RegExp(`^/api/resumes/${UUID}$`), getResume],
    ['POST', new RegExp(`^/api/resumes/${UUID}/generate$`), generate],
    ['GET', new RegExp(`^/api/resumes/${UUID}/pdf$`), downloadPdf],
  ];

  async function info() {
    return json(200, {
      service: 'cvstomize-api',
      release,
      faultSwitch: fault.active ? { ...fault.config, ...fault.stats() } : false,
    });
  }

  /** Pool saturation and connect failures in Prometheus format, for alerts (seed §8: monitor pool exhaustion). */
  async function metrics() {
    return {
      status: 200,
      headers: { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' },
      body: metricsText(pool.metrics()),
    };
  }

  async function listTemplates() {
    const templates = await prisma.template.findMany({
      select: { id: true, name: true, description: true },
      orderBy: { id: 'asc' },
    });
    return json(200, { templates });
  }

  async function register(req) {
    const body = await readJson(req);
    const email = String(body.email ?? '')
      .trim()
      .toLowerCase();
    const password = String(body.password ?? '');
    const name = String(body.name ?? '').trim();
    const problems = [];
    if (!EMAIL.test(email)) problems.push('email must be an email address');
    if (password.length < 8) problems.push('password must be at least 8 characters');
    if (!name) problems.push('name is required');
    if (problems.length > 0) throw new HttpError(400, 'invalid_request', problems.join('; '));
    const hash = await hashPassword(password);
    try {
      const user = await prisma.user.create({
        data: { email, name, passwordHash: hash },
        select: { id: true, email: true, name: true, createdAt: true },
      });
      return json(201, { user: publicUser(user) });
    } catch (error) {
      // P2002: unique constraint (users_email_key).
      if (error?.code === 'P2002')
        throw new HttpError(409, 'email_taken', 'An account with this email already exists');
      throw error;
    }
  }

  async function login(req) {
    const body = await readJson(req);
    const email = String(body.email ?? '')
      .trim()
      .toLowerCase();
    const user = await prisma.user.findUnique({ where: { email } });
    const ok = user ? await verifyPassword(String(body.password ?? ''), user.passwordHash) : false;
    if (!ok) throw new HttpError(401, 'invalid_credentials', 'Wrong email or password');
    const token = await tokens.sign(user);
    return json(200, { token, tokenType: 'Bearer', user: publicUser(user) });
  }

  async function me(req) {
    const claims = await authenticate(req);
    const user = await prisma.user.findUnique({
      where: { id: claims.sub },
      select: { id: true, email: true, name: true, createdAt: true },
    });
    if (!user) throw new HttpError(401, 'unknown_user', 'The account of this token no longer exists');
    return json(200, { user: publicUser(user) });
  }

  async function listResumes(req) {
    const claims = await authenticate(req);
    const resumes = await prisma.resume.findMany({
      where: { userId: claims.sub },
      select: { id: true, title: true, createdAt: true, updatedAt: true },
      orderBy: { createdAt: 'desc' },
    });
    return json(200, {
      resumes: resumes.map((r) => ({
        id: r.id,
        title: r.title,
        created_at: r.createdAt,
        updated_at: r.updatedAt,
      })),
    });
  }

  async function uploadResume(req) {
    const claims = await authenticate(req);
    const body = await readJson(req);
    const data = body.data ?? body;
    const problems = validateResumeData(data);
    if (problems.length > 0) throw new HttpError(400, 'invalid_resume', problems.join('; '));
    const title = String(body.title ?? `${data.name} — résumé`).slice(0, 200);
    const resume = await prisma.resume.create({
      data: { userId: claims.sub, title, data },
      select: { id: true, title: true, createdAt: true },
    });
    return json(201, {
      resume: { id: resume.id, title: resume.title, created_at: resume.createdAt, status: 'uploaded' },
    });
  }

  async function ownedResume(req, id) {
    const claims = await authenticate(req);
    const resume = await prisma.resume.findFirst({
      where: { id, userId: claims.sub },
      select: { id: true, title: true, data: true, createdAt: true },
    });
    if (!resume) throw new HttpError(404, 'not_found', `No résumé ${id} for this account`);
    return { id: resume.id, title: resume.title, data: resume.data, created_at: resume.createdAt };
  }

  async function getResume(req, [id]) {
    return json(200, { resume: await ownedResume(req, id) });
  }

  async function generate(req, [id]) {
    const resume = await ownedResume(req, id);
    const body = await readJson(req, { optional: true });
    const templateId = String(body.template ?? 'classic');
    const targetJob = body.targetJob === undefined ? undefined : String(body.targetJob).slice(0, 300);
    const template = await prisma.template.findUnique({ where: { id: templateId }, select: { id: true } });
    if (!template) throw new HttpError(400, 'unknown_template', `No template "${templateId}"`);
    const content = generateResume(resume.data, { templateId, targetJob });
    const generated = await prisma.generatedResume.create({
      data: { resumeId: id, templateId, targetJob: targetJob ?? null, content },
      select: { id: true, createdAt: true },
    });
    return json(201, {
      generated: {
        id: generated.id,
        resumeId: id,
        template: templateId,
        status: 'generated',
        createdAt: generated.createdAt,
      },
      content,
    });
  }

  async function downloadPdf(req, [id]) {
    const resume = await ownedResume(req, id);
    const latest = await prisma.generatedResume.findFirst({
      where: { resumeId: id },
      orderBy: { createdAt: 'desc' },
      select: { content: true },
    });
    if (!latest) {
      throw new HttpError(
        409,
        'not_generated',
        `Résumé ${id} has not been generated yet: POST /api/resumes/${id}/generate`,
      );
    }
    const pdf = await renderResumePdf(latest.content);
    const filename = `${resume.title.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80) || 'resume'}.pdf`;
    return {
      status: 200,
      headers: {
        'Content-Type': 'application/pdf',
        'Content-Disposition': `attachment; filename="${filename}"`,
      },
      body: pdf,
    };
  }

  async function authenticate(req) {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match)
      throw new HttpError(401, 'unauthenticated', 'Send "Authorization: Bearer <token>" (POST /api/login)');
    const claims = await tokens.verify(match[1]);
    if (!claims?.sub)
      throw new HttpError(401, 'invalid_token', 'The token is invalid or expired; log in again');
    return claims;
  }

  async function route(req) {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (fault.matches(path)) {
      if (fault.config.slowMs > 0) await delay(fault.config.slowMs);
      if (fault.shouldFail()) {
        return {
          ...json(500, { error: 'injected_fault', message: 'Injected failure (faulty release switch)' }),
          headers: { 'Content-Type': 'application/json; charset=utf-8', 'X-Fault-Injected': '1' },
        };
      }
    }
    let pathMatched = false;
    for (const [method, pattern, handler] of routes) {
      const m = pattern.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (method === req.method) return handler(req, m.slice(1));
    }
    if (pathMatched)
      throw new HttpError(405, 'method_not_allowed', `${req.method} is not supported on ${path}`);
    throw new HttpError(404, 'not_found', `No route ${req.method} ${path}`);
  }

  async function handle(req, res) {
    try {
      if (await health.handle(req, res)) return;
      send(res, await route(req));
    } catch (error) {
      if (error instanceof HttpError) {
        send(res, json(error.status, { error: error.code, message: error.message }));
        return;
      }
      log.error('request failed', {
        event: 'http.request_failed',
        method: req.method,
        path: (req.url ?? '').split('?')[0],
        code: error?.code,
        error: error?.message,
      });
      const unavailable = isDatabaseUnavailable(error);
      send(
        res,
        unavailable
          ? json(503, {
              error: 'database_unavailable',
              message: 'The database is unavailable; retry shortly',
            })
          : json(500, { error: 'internal', message: 'Internal error' }),
      );
    }
  }

  return { handle };
}

function publicUser(user) {
  return { id: user.id, email: user.email, name: user.name, createdAt: user.createdAt };
}

// SQLSTATE classes 28 (credentials), 08 (connection), 57P (server shutting down), 53 (too many
// connections), and Prisma's codes for the same: P1000 authentication, P1001/P1002 unreachable or timed
// out, P1017 connection closed, P2024 no connection from the pool in time.
const UNAVAILABLE_SQLSTATE = /^(28|08|57P|53)/;
const UNAVAILABLE_PRISMA = new Set(['P1000', 'P1001', 'P1002', 'P1008', 'P1017', 'P2024']);

/** Whether an error (from pg or from Prisma, whose driver errors carry the original) means "database down". */
function isDatabaseUnavailable(error) {
  let current = error;
  for (let depth = 0; current && depth < 5; depth++) {
    const code = typeof current.code === 'string' ? current.code : '';
    if (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_PRISMA.has(code)) return true;
    const original = current.meta?.driverAdapterError?.cause?.originalCode;
    if (typeof original === 'string' && UNAVAILABLE_SQLSTATE.test(original)) return true;
    if (current.name === 'PrismaClientInitializationError') return true;
    current = current.cause;
  }
  return false;
}

function json(status, body) {
  return {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8' },
    body: JSON.stringify(body),
  };
}

function send(res, { status, headers, body }) {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { ...headers, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

async function readJson(req, { optional = false } = {}) {
  let size = 0;
  const chunks = [];
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES)
      throw new HttpError(413, 'too_large', `Request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') {
    if (optional) return {};
    throw new HttpError(400, 'invalid_request', 'A JSON body is required');
  }
  try {
    const value = JSON.parse(text);
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
    return value;
  } catch {
    throw new HttpError(400, 'invalid_json', 'The body must be a JSON object');
  }
}
