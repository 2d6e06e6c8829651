import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfigText } from '../../../src/config/index.js';
import { systemClock } from '../../../src/kernel/clock.js';
import { silentLogger } from '../../../src/kernel/logger.js';
import { nodeProcessRunner } from '../../../src/kernel/process-runner.js';
import type { Revision, RevisionSpec } from '../../../src/platform/index.js';
import { buildRelease } from '../../../src/platform/local/build-release.js';
import type { SecretResolver } from '../../../src/platform/local/local-agent.js';
import { LocalPlatform } from '../../../src/platform/local/local-platform.js';
import { type RunningAgent, runAgent } from '../../../src/platform/local/run-agent.js';
import { createTempRepo, type TempRepo } from '../../helpers/git-repo.js';
import { waitFor } from '../../helpers/wait-for.js';

const TINY = fileURLToPath(new URL('../../fixtures/apps/tiny/', import.meta.url));

export const TINY_FILES = {
  'server.mjs': readFileSync(join(TINY, 'server.mjs'), 'utf8'),
  'package.json': readFileSync(join(TINY, 'package.json'), 'utf8'),
};

export function tinyConfig(extra = ''): string {
  return `version: 1
project:
  name: tiny
app:
  start: node server.mjs
  build: echo built > BUILD_INFO
  healthPath: /health
  startupTimeout: 5s
  drainTimeout: 5s
  stopGrace: 2s
  env:
    GREETING: "hello {environment}"
  agentPort: 4100
environments:
  staging: {}
${extra}`;
}

export interface PlatformFixture {
  repo: TempRepo;
  agent: RunningAgent;
  platform: LocalPlatform;
  /** Commits behavior.json and returns the commit's sha. */
  commit(behavior: Record<string, unknown>): Promise<string>;
  /** Builds the commit, creates a revision and (unless told otherwise) waits until it is ready. */
  revision(
    sha: string,
    options?: { wait?: boolean } & Partial<Pick<RevisionSpec, 'secrets' | 'env' | 'labels'>>,
  ): Promise<Revision>;
  restartAgent(): Promise<void>;
  close(): Promise<void>;
}

export interface PlatformFixtureOptions {
  secrets?: SecretResolver;
  /** Runs before the agent starts (e.g. to set up a vault in the state folder). */
  prepare?: (stateDir: string) => Promise<SecretResolver | undefined> | SecretResolver | undefined;
}

export async function createPlatformFixture(
  configText = tinyConfig(),
  options: PlatformFixtureOptions = {},
): Promise<PlatformFixture> {
  const repo = await createTempRepo({
    ...TINY_FILES,
    'behavior.json': '{ "version": "init" }\n',
    'prodguard.yaml': configText,
    '.gitignore': '.prodguard/\n',
  });
  const config = parseConfigText(configText, join(repo.dir, 'prodguard.yaml'));
  const secrets = options.secrets ?? (await options.prepare?.(config.stateDirPath));
  const start = () =>
    runAgent({
      config,
      clock: systemClock,
      processes: nodeProcessRunner,
      log: silentLogger,
      env: { ...process.env, PARENT_ONLY_SECRET: 'inherited-by-nobody' },
      port: 0,
      ...(secrets ? { secrets } : {}),
    });
  const fixture: PlatformFixture = {
    repo,
    agent: await start(),
    platform: undefined as unknown as LocalPlatform,
    async commit(behavior) {
      repo.write('behavior.json', `${JSON.stringify(behavior)}\n`);
      return repo.commitAll(`behavior ${JSON.stringify(behavior)}`);
    },
    async revision(sha, options = {}) {
      const { wait, ...extra } = options;
      const built = await buildRelease({
        commit: sha,
        repoDir: repo.dir,
        artifactsDir: config.artifactsDirPath,
        buildCommand: config.app.build,
        processes: nodeProcessRunner,
        clock: systemClock,
      });
      const created = await fixture.platform.createRevision({
        service: 'staging',
        release: { commit: built.commit, digest: built.digest },
        env: {},
        ...extra,
      });
      if (wait === false) return created;
      return fixture.platform.waitReady('staging', created.name, 10_000);
    },
    async restartAgent() {
      await fixture.platform.close();
      await fixture.agent.stop();
      fixture.agent = await start();
      fixture.platform = client(fixture.agent);
    },
    async close() {
      await fixture.platform.close();
      await fixture.agent.stop();
      repo.cleanup();
    },
  };
  fixture.platform = client(fixture.agent);
  return fixture;
}

function client(agent: RunningAgent): LocalPlatform {
  return new LocalPlatform({ baseUrl: agent.url, token: readFileSync(agent.paths.token, 'utf8').trim() });
}

export interface SimpleResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request without keep-alive surprises: fresh connection, whole body read. */
export function httpGet(url: string, headers: Record<string, string> = {}): Promise<SimpleResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Polls until check() returns a value or the deadline; returns that value. */
export function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  return waitFor('a platform condition', check, { timeoutMs, intervalMs: 50 });
}

/** Requests the router is proxying to a revision right now (its drain waits for them). */
export async function inFlight(f: PlatformFixture, revision: string): Promise<number> {
  const metrics = await f.platform.getMetrics('staging', 60_000);
  return metrics.find((m) => m.revision === revision)?.inFlight ?? 0;
}
