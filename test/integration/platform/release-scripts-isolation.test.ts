import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, loadConfig } from '../../../src/config/index.js';
import { freePort } from '../../../src/kernel/free-port.js';
import { agentPaths, computeTreeDigest, readReleaseRecord } from '../../../src/platform/index.js';
import { ensureMasterKeyFile } from '../../../src/secrets/master-key.js';
import { runProdguard } from '../../helpers/cli.js';
import { createTempRepo, type TempRepo } from '../../helpers/git-repo.js';
import { processRunning } from '../../helpers/processes.js';
import { appConfig, withRouterPorts } from '../deploy/deploy-fixture.js';

// Tries to read each of prodguard's secrets and writes how that went (the error code or "read") into the
// world-writable folder the test made: the release's own code, run by the build, the smoke script and the E2E suite.
const PROBE = `import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const label = process.argv[2];
const targets = JSON.parse(readFileSync(new URL('./targets.json', import.meta.url), 'utf8'));
const result = { uid: process.getuid(), gid: process.getgid(), groups: process.getgroups(), cwd: process.cwd(),
  sawProdguardEnv: process.env.PRODGUARD_ACTOR !== undefined };
for (const [name, path] of Object.entries(targets.paths)) {
  try { result[name] = readFileSync(path, 'utf8').length >= 0 ? 'read' : 'read'; }
  catch (error) { result[name] = error.code; }
}
try {
  writeFileSync(join(process.env.HOME, label + '-home'), 'x');
  writeFileSync(join(tmpdir(), label + '-tmp'), 'x');
  result.homeAndTmp = 'written';
} catch (error) { result.homeAndTmp = error.code; }
writeFileSync(join(targets.out, label + '.json'), JSON.stringify(result));
`;

// The build installs something the app serves, and leaves two writers behind: one in its process group, one
// that left it (setsid) holding a file of the build open for writing; both must be killed when it ends.
const BUILD = `import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
const targets = JSON.parse(readFileSync(new URL('./targets.json', import.meta.url), 'utf8'));
mkdirSync('public', { recursive: true });
writeFileSync('public/built.txt', 'installed by app.build\\n');
writeFileSync('late.txt', 'at build time\\n');
for (const mode of ['grouped', 'escaped']) {
  spawn(process.execPath, ['writer.mjs', mode], { stdio: 'ignore', detached: mode === 'escaped' }).unref();
}
// The build ends once both writers run.
const started = Date.now();
const wait = () => {
  if (['grouped', 'escaped'].every((mode) => existsSync(join(targets.out, mode + '.json')))) return;
  if (Date.now() - started > 20000) { console.error('the writers did not start'); process.exit(1); }
  setTimeout(wait, 20);
};
wait();
`;

const WRITER = `import { openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
const mode = process.argv[2];
const targets = JSON.parse(readFileSync(new URL('./targets.json', import.meta.url), 'utf8'));
const fd = openSync('late.txt', 'a');
const dir = process.cwd();
let ticks = 0;
const report = { pid: process.pid, ticks: 0, fdWrite: 'none', plant: 'none' };
const tick = () => {
  ticks += 1;
  try { writeSync(fd, 'written later\\n'); report.fdWrite = 'written'; } catch (error) { report.fdWrite = error.code; }
  try { writeFileSync(join(dir, 'planted.txt'), 'planted'); report.plant = 'written'; } catch (error) { report.plant = error.code; }
  report.ticks = ticks;
  // Whole reports only: the test reads them while this writes.
  writeFileSync(join(targets.out, mode + '.json.tmp'), JSON.stringify(report));
  renameSync(join(targets.out, mode + '.json.tmp'), join(targets.out, mode + '.json'));
  if (ticks < 2400) setTimeout(tick, 25);
};
tick();
`;

const SERVER = `import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
createServer((req, res) => {
  if (req.url === '/health') return res.end('ok\\n');
  res.end(readFileSync('public/built.txt', 'utf8'));
}).listen(Number(process.env.PORT), '127.0.0.1');
`;

const asRoot = process.getuid?.() === 0;
if (!asRoot)
  console.log(
    'release scripts isolation skipped: the build, smoke script and E2E suite switch to app.runAs only when prodguard runs as root, and this test runs as uid ' +
      `${process.getuid?.()}`,
  );

/** Polls `read` until `done` says yes, up to `ms`; no fixed sleep. */
async function waitFor<T>(read: () => T, done: (value: T) => boolean, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.runIf(asRoot)(
  'the build, smoke script and E2E suite run as app.runAs (real CLI, real agent)',
  () => {
    let repo: TempRepo;
    let config: Config;
    let out: string;
    let port: number;
    let deployed: { exitCode: number | null; stdout: string; stderr: string };
    const cli = (...args: string[]) =>
      runProdguard(args, {
        cwd: repo.dir,
        env: { PRODGUARD_ACTOR: 'releaser@example.com' },
        timeoutMs: 180_000,
      });
    const report = (label: string) => {
      const path = join(out, `${label}.json`);
      return existsSync(path)
        ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>)
        : undefined;
    };

    beforeAll(async () => {
      out = mkdtempSync(join(tmpdir(), 'prodguard-probe-out-'));
      chmodSync(out, 0o777);
      const [agentPort, staging] = [await freePort(), await freePort()];
      port = staging;
      repo = await createTempRepo({
        'server.mjs': SERVER,
        'probe.mjs': PROBE,
        'build.mjs': BUILD,
        'writer.mjs': WRITER,
        'package.json': '{ "name": "probe-app", "private": true, "type": "module" }\n',
        '.gitignore': '.prodguard/\n',
        'prodguard.yaml': withRouterPorts(
          appConfig(agentPort, '')
            .replace(
              'tests:\n  command: node --check server.mjs\n',
              'tests:\n  suites:\n    - { name: syntax, command: node --check server.mjs }\n  e2e:\n    name: checkout\n    command: node probe.mjs e2e\n    timeout: 30s\n',
            )
            .replace('app:\n', 'app:\n  build: node probe.mjs build && node build.mjs\n'),
          { staging },
          `  smoke:
    command: node probe.mjs smoke
    timeout: 30s
`,
        ),
      });
      config = loadConfig({ cwd: repo.dir });
      ensureMasterKeyFile(config.stateDirPath);
      mkdirSync(join(config.stateDirPath, 'backups'), { recursive: true, mode: 0o700 });
      writeFileSync(join(config.stateDirPath, 'backups', 'staging-app.dump'), 'dump', { mode: 0o600 });
      const up = await cli('up', '--detach');
      expect(up.exitCode, up.stderr).toBe(0);
      const agent = agentPaths(config.stateDirPath, config.artifactsDirPath);
      repo.write(
        'targets.json',
        JSON.stringify({
          out,
          paths: {
            vaultKey: join(config.stateDirPath, 'master.key'),
            stateDb: join(config.stateDirPath, 'state.db'),
            agentToken: agent.token,
            backup: join(config.stateDirPath, 'backups', 'staging-app.dump'),
          },
        }),
      );
      await repo.commitAll('targets');
      deployed = await cli('deploy', 'staging', '--strategy', 'all-at-once');
    });
    afterAll(async () => {
      for (const label of ['grouped', 'escaped']) {
        const pid = report(label)?.pid;
        if (typeof pid === 'number' && processRunning(pid)) process.kill(pid, 'SIGKILL');
      }
      if (repo) {
        await cli('down');
        repo.cleanup();
      }
      if (out) rmSync(out, { recursive: true, force: true });
    });

    it('gets EACCES for the vault key, state.db, the agent token and a backup in each, and the deploy succeeds', async () => {
      expect(deployed.exitCode, deployed.stdout + deployed.stderr).toBe(0);
      expect(deployed.stdout).toMatch(/✓ smoke /);
      expect(deployed.stdout).toMatch(/✓ e2e /);
      const forbidden = { vaultKey: 'EACCES', stateDb: 'EACCES', agentToken: 'EACCES', backup: 'EACCES' };
      for (const label of ['build', 'smoke', 'e2e']) {
        const result = report(label);
        expect(result, `${label} reported`).toBeDefined();
        // Nor does prodguard's own environment reach them (the CLI was started with PRODGUARD_ACTOR).
        expect(result, label).toMatchObject({
          ...forbidden,
          // A uid of its own: the build's, or the environment's (its group's number).
          uid: result!.gid,
          homeAndTmp: 'written',
          sawProdguardEnv: false,
        });
        // One group only: no supplementary groups of root's.
        expect((result!.groups as number[]).length, label).toBeLessThanOrEqual(1);
        expect(result!.groups, label).not.toContain(0);
      }
      // The build's group is not staging's, so it never entered staging's folder; the scripts ran from it.
      expect(report('build')!.gid).not.toBe(report('smoke')!.gid);
      expect(report('smoke')!.cwd).toMatch(
        new RegExp(`^${join(config.revisionsDirPath, 'staging', 'releases')}/`),
      );
      // What the build installed is in the release, and served.
      const response = await fetch(`http://127.0.0.1:${port}/`);
      expect(await response.text()).toBe('installed by app.build\n');
    });

    it('kills what the build left running, in its process group or not, and the stored artifact keeps its digest', async () => {
      const commit = (await repo.git('rev-parse', 'HEAD')).trim();
      const record = await readReleaseRecord(config.artifactsDirPath, commit);
      expect(record).toBeDefined();
      for (const label of ['grouped', 'escaped']) {
        const started = report(label);
        expect(started, `the ${label} writer started`).toBeDefined();
        const running = await waitFor(
          () => processRunning(started!.pid as number),
          (r) => !r,
          10_000,
        );
        expect(running, `the ${label} writer was killed`).toBe(false);
      }
      const artifact = join(config.artifactsDirPath, commit);
      expect(readFileSync(join(artifact, 'public', 'built.txt'), 'utf8')).toBe('installed by app.build\n');
      expect(await computeTreeDigest(artifact)).toBe(record!.digest);
      // The build's folder is gone.
      expect(existsSync(join(config.revisionsDirPath, '.builds'))).toBe(true);
      expect(readdirSync(join(config.revisionsDirPath, '.builds'))).toEqual([]);
    });
  },
);
