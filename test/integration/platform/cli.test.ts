import { spawn } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { systemClock } from '../../../src/kernel/clock.js';
import { freePort } from '../../../src/kernel/free-port.js';
import { nodeProcessRunner } from '../../../src/kernel/process-runner.js';
import { buildRelease, connectLocalPlatform } from '../../../src/platform/index.js';
import { PRODGUARD_BIN, runProdguard } from '../../helpers/cli.js';
import { createTempRepo, type TempRepo } from '../../helpers/git-repo.js';
import { processExists } from '../../helpers/processes.js';
import { waitFor } from '../../helpers/wait-for.js';
import { eventually, httpGet, TINY_FILES } from './platform-fixture.js';

// Runs the real CLI from dist/: build first (`npm test` does).
describe('prodguard up / status / logs / down (real CLI)', () => {
  let repo: TempRepo;
  let routerPort: number;

  beforeAll(async () => {
    const [agentPort, port] = [await freePort(), await freePort()];
    routerPort = port;
    repo = await createTempRepo({
      ...TINY_FILES,
      'behavior.json': '{ "version": "a" }\n',
      '.gitignore': '.prodguard/\n',
      'prodguard.yaml': `version: 1
project:
  name: tiny
app:
  start: node server.mjs
  healthPath: /health
  startupTimeout: 10s
  stopGrace: 2s
  agentPort: ${agentPort}
environments:
  staging:
    platform:
      port: ${routerPort}
`,
    });
  });
  afterAll(async () => {
    await runProdguard(['down'], { cwd: repo.dir });
    repo?.cleanup();
  });

  it('starts the agent in the background, shows status and logs, and stops everything', async () => {
    const up = await runProdguard(['up', '--detach'], { cwd: repo.dir });
    expect(up.stderr).toBe('');
    expect(up.exitCode).toBe(0);
    expect(up.stdout).toMatch(/✓ Agent started on http:\/\/127\.0\.0\.1:\d+ \(pid \d+\)/);
    expect(up.stdout).toContain(`staging      http://127.0.0.1:${routerPort}  no traffic yet`);
    const token = join(repo.dir, '.prodguard/agent/token');
    expect(statSync(token).mode & 0o777).toBe(0o600);

    const again = await runProdguard(['up', '--detach'], { cwd: repo.dir });
    expect(again.stdout).toContain('Agent already running');

    // A second workspace configured with the same agent port is told whose agent answers.
    const other = await createTempRepo({
      'prodguard.yaml': readFileSync(join(repo.dir, 'prodguard.yaml'), 'utf8'),
    });
    const foreign = await runProdguard(['up', '--detach'], { cwd: other.dir });
    expect(foreign.stderr).toContain('PRODGUARD_PLATFORM_AGENT_FOREIGN');
    expect(foreign.exitCode).toBe(2);
    rmSync(other.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });

    // A revision created through the client, as the deploy pipeline does.
    const config = loadConfig({ cwd: repo.dir });
    const built = await buildRelease({
      commit: 'HEAD',
      repoDir: repo.dir,
      artifactsDir: config.artifactsDirPath,
      processes: nodeProcessRunner,
      clock: systemClock,
    });
    const platform = connectLocalPlatform(config);
    const rev = await platform.createRevision({
      service: 'staging',
      release: { commit: built.commit, digest: built.digest },
      env: {},
    });
    await platform.waitReady('staging', rev.name, 10_000);
    await platform.setTraffic('staging', [{ revision: rev.name, percent: 100 }]);
    await platform.close();
    for (let i = 0; i < 5; i++) expect((await httpGet(`http://127.0.0.1:${routerPort}/`)).body).toBe('a\n');

    const status = await runProdguard(['status', 'staging'], { cwd: repo.dir });
    expect(status.exitCode).toBe(0);
    expect(status.stdout).toContain(`${rev.name}  ${built.commit.slice(0, 8)}  ✓ ready  100%`);
    const json = JSON.parse((await runProdguard(['status', '--json'], { cwd: repo.dir })).stdout);
    expect(json.services[0].revisions[0]).toMatchObject({
      name: rev.name,
      state: 'ready',
      percent: 100,
      requests: 5,
    });

    await httpGet(
      `http://127.0.0.1:${routerPort}/log?line=${encodeURIComponent('connecting with password=hunter2hunter2')}`,
    );
    const logs = await eventually(async () => {
      const r = await runProdguard(['logs', 'staging', '--revision', rev.name], { cwd: repo.dir });
      return r.stdout.includes('connecting with') ? r : undefined;
    });
    expect(logs.stdout).toContain('out connecting with password=[redacted]');
    expect(logs.stdout).not.toContain('hunter2');
    expect(logs.stdout).toMatch(/out tiny a listening on \d+/);
    expect(logs.stdout).toMatch(/pg {2}ready \(GET \/health answered 2xx\)/);
    const unknown = await runProdguard(['logs', 'staging', '--revision', 'staging-09999-zzz'], {
      cwd: repo.dir,
    });
    expect(unknown.stderr).toContain('PRODGUARD_PLATFORM_REVISION_NOT_FOUND');
    expect(unknown.exitCode).toBe(2);
    // -f prints lines written after it started, until Ctrl-C. The line is written once the CLI has printed
    // the existing ones (it then follows the files), so it can only reach the output by being followed.
    const following = spawn(process.execPath, [PRODGUARD_BIN, 'logs', 'staging', '-f'], {
      cwd: repo.dir,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const followed = { stdout: '', stderr: '' };
    following.stdout.setEncoding('utf8').on('data', (c: string) => {
      followed.stdout += c;
    });
    following.stderr.setEncoding('utf8').on('data', (c: string) => {
      followed.stderr += c;
    });
    const followExit = new Promise<number | null>((resolve) =>
      following.on('close', (code) => resolve(code)),
    );
    try {
      await waitFor('logs -f to print the existing lines', () =>
        followed.stdout.includes('out connecting with password=[redacted]'),
      );
      const history = followed.stdout.length;
      await httpGet(`http://127.0.0.1:${routerPort}/log?line=followed-line`);
      await waitFor('logs -f to print the new line', () =>
        /out followed-line/.test(followed.stdout.slice(history)),
      );
    } finally {
      following.kill('SIGINT');
    }
    expect(await followExit, followed.stderr).toBe(0);
    const since = await runProdguard(['logs', 'staging', '--since', '2000-01-01T00:00:00Z', '--json'], {
      cwd: repo.dir,
    });
    expect(JSON.parse(since.stdout.split('\n')[0]!)).toMatchObject({ revision: rev.name, stream: 'pg' });

    const down = await runProdguard(['down'], { cwd: repo.dir });
    expect(down.exitCode).toBe(0);
    expect(down.stdout).toMatch(/✓ Agent \(pid \d+\) stopped, with every revision\./);
    await expect(httpGet(`http://127.0.0.1:${routerPort}/`)).rejects.toThrow(/ECONNREFUSED/);
    const downAgain = await runProdguard(['down'], { cwd: repo.dir });
    expect(downAgain.stdout).toContain('No agent was running.');
    const status2 = await runProdguard(['status'], { cwd: repo.dir });
    expect(status2.stderr).toContain('PRODGUARD_PLATFORM_AGENT_DOWN');
    expect(status2.exitCode).toBe(3);
    expect(readFileSync(join(repo.dir, '.prodguard/agent/state.json'), 'utf8')).toContain(rev.name);
    const audit = JSON.parse((await runProdguard(['audit', 'log', '--json'], { cwd: repo.dir })).stdout);
    expect(audit.events.map((e: { action: string; outcome: string }) => `${e.action} ${e.outcome}`)).toEqual([
      'platform.up started',
      'platform.up success',
      'platform.down started', // `prodguard down`, before it asks the agent to stop
      'platform.down success', // the agent, as it exits
      'platform.down success', // `prodguard down`, once the agent is gone
    ]);
  });

  it('an agent killed with SIGKILL leaves its revisions behind; the next agent ends them and restarts its own', async () => {
    expect((await runProdguard(['up', '--detach'], { cwd: repo.dir })).exitCode).toBe(0);
    const stateFile = join(repo.dir, '.prodguard/agent/state.json');
    const agentPid = JSON.parse(readFileSync(join(repo.dir, '.prodguard/agent/agent.json'), 'utf8'))
      .pid as number;
    const config = loadConfig({ cwd: repo.dir });
    const platform = connectLocalPlatform(config);
    const [rev] = await platform.listRevisions('staging');
    await platform.waitReady('staging', rev!.name, 10_000);
    await platform.close();
    const leftPid = await eventually(async () => {
      const saved = JSON.parse(readFileSync(stateFile, 'utf8'));
      return saved.services.staging.revisions.find((r: { name: string }) => r.name === rev!.name)?.pid as
        | number
        | undefined;
    });
    process.kill(agentPid, 'SIGKILL');
    await eventually(async () => (processExists(agentPid) ? undefined : true));
    expect(processExists(leftPid)).toBe(true);

    expect((await runProdguard(['up', '--detach'], { cwd: repo.dir })).exitCode).toBe(0);
    await eventually(async () => (processExists(leftPid) ? undefined : true));
    const res = await eventually(async () => {
      const r = await httpGet(`http://127.0.0.1:${routerPort}/`);
      return r.status === 200 ? r : undefined;
    });
    expect(res.headers['x-prodguard-revision']).toBe(rev!.name);
    expect((await runProdguard(['down'], { cwd: repo.dir })).exitCode).toBe(0);
  });
});
