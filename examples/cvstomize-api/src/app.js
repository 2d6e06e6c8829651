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
 * server build it the same way.
 */
export function createApp({ pool, tokens, health, fault, log, release, metricsText }) {
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
    const { rows } = await pool.query('SELECT id, name, description FROM templates ORDER BY id');
    return json(200, { templates: rows });
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
    const { rows } = await pool.query(
      `INSERT INTO users (email, name, password_hash) VALUES ($1, $2, $3)
       ON CONFLICT (email) DO NOTHING RETURNING id, email, name, created_at`,
      [email, name, hash],
    );
    if (rows.length === 0)
      throw new HttpError(409, 'email_taken', 'An account with this email already exists');
    return json(201, { user: publicUser(rows[0]) });
  }

  async function login(req) {
    const body = await readJson(req);
    const email = String(body.email ?? '')
      .trim()
      .toLowerCase();
    const { rows } = await pool.query('SELECT id, email, name, password_hash FROM users WHERE email = $1', [
      email,
    ]);
    const user = rows[0];
    const ok = user ? await verifyPassword(String(body.password ?? ''), user.password_hash) : false;
    if (!ok) throw new HttpError(401, 'invalid_credentials', 'Wrong email or password');
    const token = await tokens.sign(user);
    return json(200, { token, tokenType: 'Bearer', user: publicUser(user) });
  }

  async function me(req) {
    const claims = await authenticate(req);
    const { rows } = await pool.query('SELECT id, email, name, created_at FROM users WHERE id = $1', [
      claims.sub,
    ]);
    if (rows.length === 0)
      throw new HttpError(401, 'unknown_user', 'The account of this token no longer exists');
    return json(200, { user: publicUser(rows[0]) });
  }

  async function listResumes(req) {
    const claims = await authenticate(req);
    const { rows } = await pool.query(
      'SELECT id, title, created_at, updated_at FROM resumes WHERE user_id = $1 ORDER BY created_at DESC',
      [claims.sub],
    );
    return json(200, { resumes: rows });
  }

  async function uploadResume(req) {
    const claims = await authenticate(req);
    const body = await readJson(req);
    const data = body.data ?? body;
    const problems = validateResumeData(data);
    if (problems.length > 0) throw new HttpError(400, 'invalid_resume', problems.join('; '));
    const title = String(body.title ?? `${data.name} — résumé`).slice(0, 200);
    const { rows } = await pool.query(
      'INSERT INTO resumes (user_id, title, data) VALUES ($1, $2, $3) RETURNING id, title, created_at',
      [claims.sub, title, JSON.stringify(data)],
    );
    return json(201, { resume: { ...rows[0], status: 'uploaded' } });
  }

  async function ownedResume(req, id) {
    const claims = await authenticate(req);
    const { rows } = await pool.query(
      'SELECT id, title, data, created_at FROM resumes WHERE id = $1 AND user_id = $2',
      [id, claims.sub],
    );
    if (rows.length === 0) throw new HttpError(404, 'not_found', `No résumé ${id} for this account`);
    return rows[0];
  }

  async function getResume(req, [id]) {
    return json(200, { resume: await ownedResume(req, id) });
  }

  async function generate(req, [id]) {
    const resume = await ownedResume(req, id);
    const body = await readJson(req, { optional: true });
    const templateId = String(body.template ?? 'classic');
    const targetJob = body.targetJob === undefined ? undefined : String(body.targetJob).slice(0, 300);
    const template = await pool.query('SELECT id FROM templates WHERE id = $1', [templateId]);
    if (template.rows.length === 0)
      throw new HttpError(400, 'unknown_template', `No template "${templateId}"`);
    const content = generateResume(resume.data, { templateId, targetJob });
    const { rows } = await pool.query(
      `INSERT INTO generated_resumes (resume_id, template_id, target_job, content)
       VALUES ($1, $2, $3, $4) RETURNING id, created_at`,
      [id, templateId, targetJob ?? null, JSON.stringify(content)],
    );
    return json(201, {
      generated: {
        id: rows[0].id,
        resumeId: id,
        template: templateId,
        status: 'generated',
        createdAt: rows[0].created_at,
      },
      content,
    });
  }

  async function downloadPdf(req, [id]) {
    const resume = await ownedResume(req, id);
    const { rows } = await pool.query(
      'SELECT content FROM generated_resumes WHERE resume_id = $1 ORDER BY created_at DESC LIMIT 1',
      [id],
    );
    if (rows.length === 0) {
      throw new HttpError(
        409,
        'not_generated',
        `Résumé ${id} has not been generated yet: POST /api/resumes/${id}/generate`,
      );
    }
    const pdf = await renderResumePdf(rows[0].content);
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
      const unavailable = typeof error?.code === 'string' && /^(28|08|57P|53)/.test(error.code);
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

function publicUser(row) {
  return { id: row.id, email: row.email, name: row.name, createdAt: row.created_at };
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
