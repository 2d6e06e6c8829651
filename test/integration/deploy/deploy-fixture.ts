import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect } from 'vitest';
import { AuditLog } from '../../../src/audit/index.js';
import { parseConfigText } from '../../../src/config/index.js';
import { deployConfigSchema } from '../../../src/config/sections/deploy.js';
import {
  createHttpProbeClient,
  DeployEvents,
  type DeployPipelineDeps,
  DeployStore,
  type PipelineConfig,
} from '../../../src/deploy/index.js';
import { systemClock } from '../../../src/kernel/clock.js';
import { freePort } from '../../../src/kernel/free-port.js';
import { silentLogger } from '../../../src/kernel/logger.js';
import { nodeProcessRunner, type ProcessResult } from '../../../src/kernel/process-runner.js';
import { OperationStore } from '../../../src/operations/index.js';
import {
  buildRelease,
  LocalPlatform,
  peekRelease,
  type RunningAgent,
  runAgent,
} from '../../../src/platform/index.js';
import { StateStore } from '../../../src/store/index.js';
import { runProdguard } from '../../helpers/cli.js';
import { createTempRepo, type TempRepo } from '../../helpers/git-repo.js';

const APP = fileURLToPath(new URL('./app/', import.meta.url));

export const APP_FILES = {
  'server.mjs': readFileSync(join(APP, 'server.mjs'), 'utf8'),
  'smoke.mjs': readFileSync(join(APP, 'smoke.mjs'), 'utf8'),
  'package.json': '{ "name": "deploy-app", "private": true, "type": "module" }\n',
  '.gitignore': '.prodguard/\n',
};

export function appConfig(agentPort: number, extra = ''): string {
  return `version: 1
project:
  name: deploy-app
timezone: UTC
watch: 2s
freeze:
  weekdays: []
tests:
  command: node --check server.mjs
rules:
  coverage-minimums: { severity: off }   # the fixture app has no coverage report
  change-documented: { severity: warn }  # these deploys come without notes; the checklist has its own tests
app:
  start: node server.mjs
  healthPath: /health
  startupTimeout: 4s
  drainTimeout: 2s
  stopGrace: 1s
  agentPort: ${agentPort}
  env:
    APP_ENV: "{environment}"
environments:
  staging:
    protected: true
  production:
    requires: staging
${extra}`;
}

/** Fast analysis for tests on a real agent: half-second samples, two breaches in a row trip. */
export const FAST_DEPLOY = {
  strategy: 'canary',
  steps: [20, 100],
  stepDuration: '2s',
  smoke: { command: 'node smoke.mjs', timeout: '20s' },
  analysis: {
    interval: '500ms',
    window: '3s',
    consecutiveBreaches: 2,
    minRequests: 10,
    holdTimeout: '8s',
    probePaths: ['/', '/health'],
  },
};

export interface DeployFixture {
  repo: TempRepo;
  agent: RunningAgent;
  platform: LocalPlatform;
  config: PipelineConfig;
  state: StateStore;
  store: DeployStore;
  ops: OperationStore;
  audit: AuditLog;
  events: DeployEvents;
  deps(overrides?: Partial<DeployPipelineDeps>): DeployPipelineDeps;
  commit(behavior: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

/** A temp repo with the app, a real agent on loopback, and the pipeline wired to it as the CLI wires it. */
export async function createDeployFixture(): Promise<DeployFixture> {
  const repo = await createTempRepo({ ...APP_FILES, 'behavior.json': '{ "version": "init" }\n' });
  const text = appConfig(await freePort());
  repo.write('prodguard.yaml', text);
  await repo.commitAll('config');
  const parsed = parseConfigText(text, join(repo.dir, 'prodguard.yaml'));
  const agent = await runAgent({
    config: parsed,
    clock: systemClock,
    processes: nodeProcessRunner,
    log: silentLogger,
    env: process.env,
    port: 0,
  });
  const platform = new LocalPlatform({
    baseUrl: agent.url,
    token: readFileSync(agent.paths.token, 'utf8').trim(),
  });
  const state = StateStore.open(join(parsed.stateDirPath, 'state.db'));
  const store = new DeployStore(state, systemClock);
  const audit = new AuditLog(state, systemClock);
  const ops = new OperationStore(state, systemClock, audit);
  const events = new DeployEvents();
  const config: PipelineConfig = { ...parsed, deploy: deployConfigSchema.parse(FAST_DEPLOY) };
  return {
    repo,
    agent,
    platform,
    config,
    state,
    store,
    audit,
    events,
    ops,
    deps: (overrides = {}) => ({
      platform,
      ops,
      store,
      clock: systemClock,
      processes: nodeProcessRunner,
      probe: createHttpProbeClient(),
      events,
      actor: 'tester@example.com',
      env: process.env,
      builder: {
        build: (commit, signal) =>
          buildRelease({
            commit,
            repoDir: repo.dir,
            artifactsDir: parsed.artifactsDirPath,
            processes: nodeProcessRunner,
            clock: systemClock,
            ...(signal ? { signal } : {}),
          }),
        peek: (commit) =>
          peekRelease({
            commit,
            repoDir: repo.dir,
            artifactsDir: parsed.artifactsDirPath,
            processes: nodeProcessRunner,
          }),
      },
      ...overrides,
    }),
    commit: async (behavior) => {
      repo.write('behavior.json', `${JSON.stringify(behavior)}\n`);
      return repo.commitAll(`release ${JSON.stringify(behavior)}`);
    },
    close: async () => {
      await platform.close();
      await agent.stop();
      state.close();
      repo.cleanup();
    },
  };
}

/** Steady load on a router: bounded in requests and time, a few in flight, counting what failed. */
export function startLoad(
  url: string,
  options: { concurrency?: number; maxRequests?: number; maxMs?: number } = {},
) {
  const counts = { sent: 0, ok: 0, failed: 0, byRevision: new Map<string, number>() };
  let stopped = false;
  const deadline = Date.now() + (options.maxMs ?? 30_000);
  const worker = async () => {
    while (!stopped && Date.now() < deadline && counts.sent < (options.maxRequests ?? 20_000)) {
      counts.sent++;
      try {
        const response = await fetch(`${url}/`);
        await response.arrayBuffer();
        if (response.status >= 200 && response.status < 300) counts.ok++;
        else counts.failed++;
        const revision = response.headers.get('x-prodguard-revision') ?? '?';
        counts.byRevision.set(revision, (counts.byRevision.get(revision) ?? 0) + 1);
      } catch {
        counts.failed++;
      }
      await new Promise((r) => setTimeout(r, 4));
    }
  };
  const workers = Array.from({ length: options.concurrency ?? 4 }, worker);
  return {
    counts,
    stop: async () => {
      stopped = true;
      await Promise.all(workers);
      return counts;
    },
  };
}

/**
 * `config` (from appConfig) with its environments block replaced: staging (protected) and production (requires
 * staging), each router on its own port (production's only when given), after an optional `deploy:` section
 * (its lines, indented under the key).
 */
export function withRouterPorts(
  config: string,
  ports: { staging: number; production?: number },
  deploy = '',
): string {
  const production = ports.production === undefined ? '' : `    platform:\n      port: ${ports.production}\n`;
  return config.replace(
    /environments:[\s\S]*$/,
    `${deploy ? `deploy:\n${deploy}` : ''}environments:
  staging:
    protected: true
    platform:
      port: ${ports.staging}
  production:
    requires: staging
${production}`,
  );
}

export interface AgentProject {
  /** The project's repository (set once the describe block's beforeAll ran). */
  readonly repo: TempRepo;
  /** The agent's port and each environment's router port. */
  readonly ports: { agent: number; staging: number; production: number };
  /** What the CLI runs with besides process.env: the actor, releaser@example.com. */
  readonly env: NodeJS.ProcessEnv;
  /** The real CLI in the project, with `env`. */
  cli(...args: string[]): Promise<ProcessResult>;
}

/**
 * For a describe block: a committed project (its files from free ports) with its agent `up --detach` before the
 * tests, and `down` plus cleanup after them.
 */
export function useAgentProject(
  files: (ports: AgentProject['ports']) => Record<string, string>,
): AgentProject {
  let repo: TempRepo | undefined;
  let ports: AgentProject['ports'] | undefined;
  const project: AgentProject = {
    get repo() {
      if (!repo) throw new Error('the project is created in beforeAll');
      return repo;
    },
    get ports() {
      if (!ports) throw new Error('the ports are chosen in beforeAll');
      return ports;
    },
    env: { PRODGUARD_ACTOR: 'releaser@example.com' },
    cli: (...args) => runProdguard(args, { cwd: project.repo.dir, env: project.env, timeoutMs: 120_000 }),
  };
  beforeAll(async () => {
    ports = { agent: await freePort(), staging: await freePort(), production: await freePort() };
    repo = await createTempRepo(files(ports));
    const up = await project.cli('up', '--detach');
    expect(up.exitCode, up.stderr).toBe(0);
  });
  afterAll(async () => {
    if (!repo) return;
    await project.cli('down');
    repo.cleanup();
  });
  return project;
}
