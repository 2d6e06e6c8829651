import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createTempRepo, type TempRepo } from '../../helpers/git-repo.js';

export interface HealthServer {
  url: string;
  /** Status the server answers with; change it mid-test. */
  status: number;
  /** Delay before answering, ms. */
  delayMs: number;
  close(): Promise<void>;
}

/** A real HTTP health endpoint on loopback standing in for the staging service. */
export async function startHealthServer(): Promise<HealthServer> {
  const state = { status: 200, delayMs: 0 };
  const server: Server = createServer((_req, res) => {
    setTimeout(() => {
      res.writeHead(state.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: state.status < 300 }));
    }, state.delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}/health`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

const WRITE_COVERAGE = `import { mkdirSync, writeFileSync } from 'node:fs';
const pct = Number(process.env.COVERAGE_PCT ?? '100');
mkdirSync('coverage', { recursive: true });
const entry = (total) => ({ total, covered: Math.round((total * pct) / 100), skipped: 0, pct });
const file = { lines: entry(100), statements: entry(100), functions: entry(10), branches: entry(10) };
writeFileSync('coverage/coverage-summary.json', JSON.stringify({ total: file, [process.cwd() + '/src/auth/login.js']: file, [process.cwd() + '/src/routes/api.js']: file }));
if (process.env.FAIL_TESTS) { console.error('1 failing test: login rejects a bad password'); process.exit(1); }
console.log('42 tests passed');
`;

export interface ProjectOptions {
  healthUrl: string;
  timezone?: string;
  extraConfig?: string;
  testCommand?: string;
}

/** A committed repository with prodguard.yaml, a test suite that writes coverage, and a changelog. */
export async function createProject(options: ProjectOptions): Promise<TempRepo> {
  const repo = await createTempRepo({
    'package.json': JSON.stringify(
      { name: 'resume-api', type: 'module', scripts: { test: 'node scripts/test.mjs' } },
      null,
      2,
    ),
    'scripts/test.mjs': WRITE_COVERAGE,
    'src/auth/login.js': 'export const login = () => true;\n',
    'src/routes/api.js': 'export const routes = [];\n',
    'CHANGELOG.md': '# Changelog\n\n## 1.0.0\n- first release\n',
    '.gitignore': 'coverage/\n.prodguard/\n',
    'prodguard.yaml': `version: 1
project:
  name: resume-api
timezone: ${options.timezone ?? 'UTC'}
tests:
  command: ${JSON.stringify(options.testCommand ?? 'node scripts/test.mjs')}
  timeout: 1m
environments:
  local: {}
  staging:
    protected: true
    health:
      url: ${options.healthUrl}
      timeout: 1s
  production:
    requires: staging
    branch: main
${options.extraConfig ?? ''}`,
  });
  return repo;
}

/**
 * Registers the hooks a test file needs: one staging health server for the file (reset to healthy after
 * each test) and temp repositories removed after each test.
 */
export function useProjects() {
  let health: HealthServer | undefined;
  const repos: TempRepo[] = [];
  beforeAll(async () => {
    health = await startHealthServer();
  });
  afterAll(async () => health?.close());
  afterEach(() => {
    for (const repo of repos.splice(0)) repo.cleanup();
    if (health) {
      health.status = 200;
      health.delayMs = 0;
    }
  });
  return {
    health: () => health!,
    /** Removes the repository after the test. */
    track: (repo: TempRepo) => {
      repos.push(repo);
      return repo;
    },
    project: async (extra?: Omit<ProjectOptions, 'healthUrl'>) => {
      const repo = await createProject({ healthUrl: health!.url, ...extra });
      repos.push(repo);
      return repo;
    },
  };
}
