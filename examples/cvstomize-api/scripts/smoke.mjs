#!/usr/bin/env node
// The seed's manual smoke list, automated: register → login → upload → generate → download PDF.
//   BASE_URL=http://127.0.0.1:8080 node scripts/smoke.mjs
// Exit 0 when every step passes; 1 on the first failure (named, with the response); 2 on bad usage.
// Bounded: each request times out after SMOKE_STEP_TIMEOUT_MS (default 10 s).
import { randomBytes } from 'node:crypto';

const base = (process.argv[2] ?? process.env.BASE_URL ?? '').replace(/\/+$/, '');
if (!/^https?:\/\//.test(base)) {
  process.stderr.write(
    'usage: BASE_URL=http://host:port node scripts/smoke.mjs   (or pass the URL as the argument)\n',
  );
  process.exit(2);
}
const stepTimeoutMs = Number(process.env.SMOKE_STEP_TIMEOUT_MS ?? '10000');
const started = performance.now();
const state = {};

async function call(method, path, { body, token, expect = 200 } = {}) {
  const headers = { Accept: 'application/json', 'User-Agent': 'cvstomize-smoke/1' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch(`${base}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(stepTimeoutMs),
    });
  } catch (error) {
    throw new Error(
      `${method} ${path}: ${error.name === 'TimeoutError' ? `no answer within ${stepTimeoutMs} ms` : error.message}`,
    );
  }
  const buffer = Buffer.from(await res.arrayBuffer());
  if (res.status !== expect) {
    throw new Error(
      `${method} ${path}: expected HTTP ${expect}, got ${res.status}: ${buffer.toString('utf8').slice(0, 300)}`,
    );
  }
  return { res, buffer, json: () => JSON.parse(buffer.toString('utf8')) };
}

const steps = [
  [
    'Health check',
    async () => {
      const { json } = await call('GET', '/health');
      if (json().status !== 'ok') throw new Error(`GET /health: status ${json().status}`);
    },
  ],
  [
    'Register new user',
    async () => {
      state.email = `smoke+${Date.now()}-${randomBytes(3).toString('hex')}@example.com`;
      state.password = randomBytes(12).toString('base64url');
      const { json } = await call('POST', '/api/register', {
        body: { email: state.email, password: state.password, name: 'Smoke Test' },
        expect: 201,
      });
      if (json().user?.email !== state.email)
        throw new Error('POST /api/register: the user in the answer is not the one registered');
    },
  ],
  [
    'Login',
    async () => {
      const { json } = await call('POST', '/api/login', {
        body: { email: state.email, password: state.password },
      });
      state.token = json().token;
      if (typeof state.token !== 'string' || state.token.split('.').length !== 3) {
        throw new Error('POST /api/login: no JWT in the answer');
      }
    },
  ],
  [
    'Upload résumé',
    async () => {
      const { json } = await call('POST', '/api/resumes', {
        token: state.token,
        expect: 201,
        body: {
          title: 'Smoke résumé',
          data: {
            name: 'Ada Lovelace',
            headline: 'Engineer',
            email: state.email,
            summary: 'Writes programs for engines that do not exist yet.',
            skills: ['Mathematics', 'PostgreSQL', 'Node.js'],
            experience: [
              {
                title: 'Analyst',
                company: 'Analytical Engine',
                start: '1842',
                end: '1843',
                highlights: ['Notes on the engine'],
              },
            ],
            education: [{ degree: 'Private tutoring', school: 'London', year: '1835' }],
          },
        },
      });
      state.resumeId = json().resume?.id;
      if (!state.resumeId) throw new Error('POST /api/resumes: no résumé id in the answer');
    },
  ],
  [
    'Generate résumé',
    async () => {
      const { json } = await call('POST', `/api/resumes/${state.resumeId}/generate`, {
        token: state.token,
        expect: 201,
        body: { template: 'modern', targetJob: 'Node.js engineer' },
      });
      if (json().generated?.status !== 'generated') throw new Error('generate: status is not "generated"');
    },
  ],
  [
    'Download PDF',
    async () => {
      const { res, buffer } = await call('GET', `/api/resumes/${state.resumeId}/pdf`, { token: state.token });
      const type = res.headers.get('content-type') ?? '';
      if (!type.startsWith('application/pdf')) throw new Error(`PDF download: content-type is "${type}"`);
      if (buffer.subarray(0, 5).toString('latin1') !== '%PDF-')
        throw new Error('PDF download: the body is not a PDF (%PDF- magic missing)');
      state.pdfBytes = buffer.length;
    },
  ],
];

process.stdout.write(`Smoke test against ${base}\n`);
for (const [name, run] of steps) {
  const t0 = performance.now();
  try {
    await run();
  } catch (error) {
    process.stdout.write(`  ✗ ${name}: ${error.message}\n`);
    process.stderr.write(`smoke test FAILED at "${name}"\n`);
    process.exit(1);
  }
  process.stdout.write(`  ✓ ${name} (${Math.round(performance.now() - t0)} ms)\n`);
}
process.stdout.write(
  `Smoke test passed: ${steps.length} steps in ${Math.round(performance.now() - started)} ms (PDF ${state.pdfBytes} bytes)\n`,
);
