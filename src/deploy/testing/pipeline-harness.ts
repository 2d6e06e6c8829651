import { createHash } from 'node:crypto';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from '../../audit/index.js';
import { parseConfigText } from '../../config/index.js';
import { deployConfigSchema } from '../../config/sections/deploy.js';
import { ManualClock } from '../../kernel/clock.js';
import { nodeProcessRunner } from '../../kernel/process-runner.js';
import { OperationStore } from '../../operations/index.js';
import { StateStore } from '../../store/index.js';
import { DeployEvents } from '../deploy-events.js';
import { DeployStore } from '../deploy-store.js';
import type { DeployPipelineDeps, PipelineConfig } from '../pipeline-deps.js';
import type { ReleaseBuilder } from '../release-builder.js';
import { InMemoryPlatform } from './in-memory-platform.js';

export const HARNESS_CONFIG = `version: 1
project:
  name: app
timezone: UTC
watch: 30s
freeze:
  weekdays: []
environments:
  staging:
    protected: true
  production:
    requires: staging
`;

/** Fast analysis settings for pipeline tests: 1 s samples over 10 s, trip after 3. */
export const HARNESS_DEPLOY_SETTINGS = {
  stepDuration: '5s',
  analysis: { interval: '1s', window: '10s', consecutiveBreaches: 3, minRequests: 20, holdTimeout: '20s' },
};

export interface PipelineHarness {
  dir: string;
  config: PipelineConfig;
  clock: ManualClock;
  state: StateStore;
  store: DeployStore;
  ops: OperationStore;
  audit: AuditLog;
  platform: InMemoryPlatform;
  events: DeployEvents;
  /** Every event emitted, in order. */
  seen: { name: string; payload: Record<string, unknown> }[];
  /** Every commit the builder built, in order. */
  built: string[];
  deps(overrides?: Partial<DeployPipelineDeps>): DeployPipelineDeps;
  /** Commits a change in the temp repository and returns the full sha. */
  commit(message: string): Promise<string>;
  git(...args: string[]): Promise<string>;
  digestOf(commit: string): string;
  cleanup(): void;
}

/**
 * A real git repository in a temp folder, a real in-memory SQLite store and audit log, the in-memory
 * platform and a ManualClock: the pipeline runs for real, minus processes and sockets.
 */
export async function createPipelineHarness(
  options: { configText?: string; deploy?: Record<string, unknown> } = {},
): Promise<PipelineHarness> {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'prodguard-deploy-')));
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: 'Dev',
    GIT_AUTHOR_EMAIL: 'dev@example.com',
    GIT_COMMITTER_NAME: 'Dev',
    GIT_COMMITTER_EMAIL: 'dev@example.com',
  };
  const git = async (...args: string[]) => {
    const r = await nodeProcessRunner.run('git', args, { cwd: dir, env });
    if (r.failed) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  await git('init', '-q', '-b', 'main');
  await git('config', 'commit.gpgsign', 'false');
  await git('config', 'tag.gpgsign', 'false');
  const text = options.configText ?? HARNESS_CONFIG;
  writeFileSync(join(dir, 'prodguard.yaml'), text);
  let n = 0;
  const commit = async (message: string) => {
    writeFileSync(join(dir, 'app.txt'), `${message} ${++n}\n`);
    await git('add', '-A');
    await git('commit', '-q', '-m', message);
    return git('rev-parse', 'HEAD');
  };
  await commit('initial');
  const parsed = parseConfigText(text, join(dir, 'prodguard.yaml'));
  const config: PipelineConfig = {
    ...parsed,
    deploy: deployConfigSchema.parse({ ...HARNESS_DEPLOY_SETTINGS, ...options.deploy }),
  };
  const clock = new ManualClock('2026-01-07T10:00:00Z');
  const state = StateStore.open(':memory:');
  const store = new DeployStore(state, clock);
  const audit = new AuditLog(state, clock);
  const ops = new OperationStore(state, clock, audit);
  const platform = new InMemoryPlatform({ clock, services: Object.keys(parsed.environments) });
  const events = new DeployEvents();
  const seen: PipelineHarness['seen'] = [];
  events.onAny((name, payload) => seen.push({ name, payload: payload as Record<string, unknown> }));
  const digestOf = (sha: string) => `sha256:${createHash('sha256').update(`built:${sha}`).digest('hex')}`;
  const built: string[] = [];
  const builder: ReleaseBuilder = {
    build: async (commitish) => {
      const sha = await git('rev-parse', '--verify', `${commitish}^{commit}`);
      built.push(sha);
      return { commit: sha, digest: digestOf(sha) };
    },
    peek: async (commitish) => {
      const sha = await git('rev-parse', '--verify', `${commitish}^{commit}`);
      return built.includes(sha) ? { commit: sha, digest: digestOf(sha) } : { commit: sha };
    },
  };
  return {
    dir,
    config,
    clock,
    state,
    store,
    audit,
    platform,
    events,
    seen,
    built,
    ops,
    deps: (overrides = {}) => ({
      platform,
      ops,
      store,
      clock,
      processes: nodeProcessRunner,
      probe: platform.probeClient,
      events,
      actor: 'tester@example.com',
      builder,
      // A one-hour lease: the background heartbeat (every ttl/3 of real time) never fires in a test, and a
      // frozen holder loses the lock only when the test moves the clock past it.
      lockTtlMs: 3_600_000,
      ...overrides,
    }),
    commit,
    git,
    digestOf,
    cleanup: () => {
      state.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
