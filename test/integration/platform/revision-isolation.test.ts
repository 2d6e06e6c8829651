import { chmodSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, loadConfig } from '../../../src/config/index.js';
import { freePort } from '../../../src/kernel/free-port.js';
import { agentPaths } from '../../../src/platform/index.js';
import { ensureMasterKeyFile } from '../../../src/secrets/master-key.js';
import { runProdguard } from '../../helpers/cli.js';
import { createTempRepo, type TempRepo } from '../../helpers/git-repo.js';
import { appConfig, withRouterPorts } from '../deploy/deploy-fixture.js';

// An app that tries to read what it is given a path to, and says how that went (the error code or "read").
const PROBE_APP = `import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
createServer((req, res) => {
  const url = new URL(req.url, 'http://app');
  if (url.pathname === '/health') return res.end('ok\\n');
  if (url.pathname === '/whoami')
    return res.end(JSON.stringify({ uid: process.getuid(), gid: process.getgid(), groups: process.getgroups(),
      home: process.env.HOME, cwd: process.cwd(), pid: process.pid, user: process.env.USER }));
  if (url.pathname === '/signal') {
    try { process.kill(Number(url.searchParams.get('pid')), 0); return res.end('signalled'); }
    catch (error) { return res.end(error.code); }
  }
  if (url.pathname === '/read') {
    try { readFileSync(url.searchParams.get('path')); return res.end('read'); }
    catch (error) { return res.end(error.code); }
  }
  if (url.pathname === '/tamper') {
    try { writeFileSync(url.searchParams.get('path'), 'tampered', { flag: 'a' }); return res.end('written'); }
    catch (error) { return res.end(error.code); }
  }
  if (url.pathname === '/write') {
    try {
      writeFileSync(join(process.env.HOME, 'home-file'), 'x');
      writeFileSync(join(tmpdir(), 'tmp-file'), 'x');
      return res.end('written');
    } catch (error) { return res.end(error.code); }
  }
  res.end('probe v1\\n');
}).listen(Number(process.env.PORT), '127.0.0.1');
`;

const asRoot = process.getuid?.() === 0;
if (!asRoot)
  console.log(
    'revision isolation skipped: revisions switch to app.runAs only when prodguard runs as root, and this test runs as uid ' +
      `${process.getuid?.()} (the modes test below still runs)`,
  );

/** The mode bits of a path, in octal. */
const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

describe('revisions cannot read prodguard state, keys or another environment (real CLI, real agent)', () => {
  let repo: TempRepo;
  let config: Config;
  let ports: { staging: number; production: number };
  const cli = (...args: string[]) =>
    runProdguard(args, {
      cwd: repo.dir,
      env: { PRODGUARD_ACTOR: 'releaser@example.com' },
      timeoutMs: 120_000,
    });
  const probe = async (environment: 'staging' | 'production', path: string) => {
    const response = await fetch(`http://127.0.0.1:${ports[environment]}${path}`);
    return response.text();
  };

  beforeAll(async () => {
    const [agentPort, staging, production] = [await freePort(), await freePort(), await freePort()];
    ports = { staging, production };
    repo = await createTempRepo({
      'server.mjs': PROBE_APP,
      'package.json': '{ "name": "probe-app", "private": true, "type": "module" }\n',
      '.gitignore': '.prodguard/\n',
      'prodguard.yaml': withRouterPorts(appConfig(agentPort, ''), {
        staging: staging,
        production: production,
      }),
    });
    config = loadConfig({ cwd: repo.dir });
    // The vault key, as `prodguard init` writes it; and a dump left 0644 by an older version.
    ensureMasterKeyFile(config.stateDirPath);
    mkdirSync(join(config.stateDirPath, 'backups'), { recursive: true, mode: 0o755 });
    chmodSync(join(config.stateDirPath, 'backups'), 0o755);
    writeFileSync(join(config.stateDirPath, 'backups', 'production-app-old.dump'), 'dump', { mode: 0o644 });
    chmodSync(join(config.stateDirPath, 'backups', 'production-app-old.dump'), 0o644);
    const up = await cli('up', '--detach');
    expect(up.exitCode, up.stderr).toBe(0);
    const staged = await cli('deploy', 'staging', '--strategy', 'all-at-once');
    expect(staged.exitCode, staged.stdout + staged.stderr).toBe(0);
    const promoted = await cli('deploy', 'production', '--strategy', 'all-at-once');
    expect(promoted.exitCode, promoted.stdout + promoted.stderr).toBe(0);
  });
  afterAll(async () => {
    if (repo) {
      await cli('down');
      repo.cleanup();
    }
  });

  it('keeps the state folder 0700 and its keys, database, token and backups 0600', () => {
    const state = config.stateDirPath;
    const agent = agentPaths(state, config.artifactsDirPath);
    expect(mode(state)).toBe('700');
    expect(mode(join(state, 'master.key'))).toBe('600');
    for (const file of ['state.db', 'state.db-wal', 'state.db-shm'])
      if (existsSync(join(state, file))) expect(mode(join(state, file)), file).toBe('600');
    expect(mode(agent.dir)).toBe('700');
    expect(mode(agent.token)).toBe('600');
    expect(mode(agent.state)).toBe('600');
    expect(mode(agent.pid)).toBe('600');
    // The older dump and its folder were tightened when the CLI opened the workspace.
    expect(mode(join(state, 'backups'))).toBe('700');
    expect(mode(join(state, 'backups', 'production-app-old.dump'))).toBe('600');
    expect(mode(config.artifactsDirPath)).toBe('700');
  });

  it.runIf(asRoot)(
    'runs each environment as a uid and group of its own: staging cannot signal production',
    async () => {
      const staging = JSON.parse(await probe('staging', '/whoami'));
      const production = JSON.parse(await probe('production', '/whoami'));
      expect(staging.uid).toBe(staging.gid);
      expect(staging.uid).toBeGreaterThanOrEqual(1_900_000_000);
      expect(staging.groups).toEqual([staging.gid]);
      expect(staging.user).toBe('prodguard-staging');
      expect(production.gid).not.toBe(staging.gid);
      expect(production.uid).toBe(production.gid);
      // One shared user could kill every process of the other environment (and read its memory with ptrace).
      expect(await probe('staging', `/signal?pid=${production.pid}`)).toBe('EPERM');
      expect(await probe('production', `/signal?pid=${staging.pid}`)).toBe('EPERM');
      expect(await probe('staging', `/signal?pid=${staging.pid}`)).toBe('signalled');
      expect(staging.cwd.startsWith(join(config.revisionsDirPath, 'staging', 'releases'))).toBe(true);
      // It can write its own HOME and TMPDIR, not its release: the files are hard links to the verified bytes.
      expect(await probe('staging', '/write')).toBe('written');
      for (const path of [join(staging.cwd, 'server.mjs'), join(staging.cwd, 'new-file')])
        expect(await probe('staging', `/tamper?path=${encodeURIComponent(path)}`), path).toBe('EACCES');
      expect(
        await probe('staging', `/read?path=${encodeURIComponent(join(staging.cwd, 'server.mjs'))}`),
      ).toBe('read');
      const status = await cli('status', '--json');
      expect(status.exitCode, status.stderr).toBe(0);
      expect(JSON.parse(status.stdout).revisionUser).toEqual({
        name: 'per-environment',
        switched: true,
        perEnvironment: true,
      });
      const human = await cli('status');
      expect(human.stdout).toContain(
        'revisions run as a uid and group of their environment’s own, builds as one of their own (app.runAs unset)',
      );
    },
  );

  it.runIf(asRoot)(
    'answers EACCES for the vault key, the state database, the token, backups, logs and the other environment',
    async () => {
      const state = config.stateDirPath;
      const agent = agentPaths(state, config.artifactsDirPath);
      const production = JSON.parse(await probe('production', '/whoami'));
      const commit = production.cwd.split('/').at(-1) as string;
      const productionLogs = join(agent.logs, 'production');
      const forbidden = {
        'vault key': join(state, 'master.key'),
        'state database (audit, operations)': join(state, 'state.db'),
        'state database WAL': join(state, 'state.db-wal'),
        'agent token': agent.token,
        'agent state': agent.state,
        backup: join(state, 'backups', 'production-app-old.dump'),
        "another revision's log": join(productionLogs, readdirSync(productionLogs)[0]!),
        "production's copy of the release": join(
          config.revisionsDirPath,
          'production',
          'releases',
          commit,
          'server.mjs',
        ),
        "production's HOME": join(config.revisionsDirPath, 'production', 'home', 'home-file'),
        'the artifact store': join(config.artifactsDirPath, commit, 'server.mjs'),
      };
      await probe('production', '/write');
      const answers = Object.fromEntries(
        await Promise.all(
          Object.entries(forbidden).map(async ([what, path]) => [
            what,
            await probe('staging', `/read?path=${encodeURIComponent(path)}`),
          ]),
        ),
      );
      expect(answers).toEqual(Object.fromEntries(Object.keys(forbidden).map((what) => [what, 'EACCES'])));
      // The other way round too, and the app still serves.
      const stagingCopy = JSON.parse(await probe('staging', '/whoami')).cwd as string;
      expect(
        await probe('production', `/read?path=${encodeURIComponent(join(stagingCopy, 'server.mjs'))}`),
      ).toBe('EACCES');
      expect(await probe('staging', '/')).toBe('probe v1\n');
      expect(await probe('production', '/')).toBe('probe v1\n');
    },
  );
});

describe.runIf(asRoot)('app.runAs as root (real CLI)', () => {
  let repo: TempRepo | undefined;
  afterAll(() => repo?.cleanup());

  it('refuses a user that does not exist, before starting anything, instead of running revisions as root', async () => {
    const agentPort = await freePort();
    repo = await createTempRepo({
      'server.mjs': PROBE_APP,
      '.gitignore': '.prodguard/\n',
      'prodguard.yaml': appConfig(agentPort, '').replace(
        'app:\n',
        'app:\n  runAs: no-such-user-for-prodguard\n',
      ),
    });
    const up = await runProdguard(['up'], { cwd: repo.dir, timeoutMs: 60_000 });
    expect(up.exitCode).toBe(2);
    expect(up.stderr).toContain('PRODGUARD_PLATFORM_RUN_AS_UNKNOWN');
    expect(up.stderr).toContain(
      'Revisions run as "no-such-user-for-prodguard" when prodguard runs as root (app.runAs), but /etc/passwd has no such user.',
    );
    expect(up.stderr).toContain('useradd --system');
    expect(existsSync(agentPaths(loadConfig({ cwd: repo.dir }).stateDirPath).pid)).toBe(false);
  });
});
