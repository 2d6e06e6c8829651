import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_FILES, appConfig, useAgentProject, withRouterPorts } from './deploy-fixture.js';

// The real CLI from dist/ (build first) against a real agent: a deploy's smoke test is the release's own,
// and a watch shorter than the configured one verifies nothing without an audited override.
describe('deploy: the release’s own smoke test, and the full watch (real CLI)', () => {
  const project = useAgentProject((ports) => ({
    ...APP_FILES,
    'behavior.json': '{ "version": "v1" }\n',
    'tests.mjs': "console.log('ok');\n",
    'prodguard.yaml': withRouterPorts(
      appConfig(ports.agent, '')
        .replace('watch: 2s', 'watch: 3s')
        .replace('command: node --check server.mjs', 'command: node tests.mjs'),
      ports,
      `  smoke:
    command: node smoke.mjs
    timeout: 20s
`,
    ).replace('  staging:\n', '  staging:\n    branch: main\n'),
  }));
  const { cli } = project;
  const get = async (environment: 'staging' | 'production') =>
    (await fetch(`http://127.0.0.1:${project.ports[environment]}/`)).text();
  const release = async (version: string, smoke?: string) => {
    project.repo.write('behavior.json', `${JSON.stringify({ version })}\n`);
    project.repo.write('smoke.mjs', smoke ?? APP_FILES['smoke.mjs']);
    return project.repo.commitAll(version);
  };

  /** Runs the checklist with `commit` checked out, so its suites' pass is kept for its tree, then goes back. */
  const testAt = async (commit: string) => {
    await project.repo.git('switch', '-q', '--detach', commit);
    await cli('preflight', 'staging');
    await project.repo.git('switch', '-q', 'main');
  };

  it("deploy --commit X runs X's smoke script: not the working tree's, whether that one passes or fails", async () => {
    const good = await release('v2');
    // HEAD (the working tree) now has a smoke script that always fails.
    await release('v3-head', "console.error('the working tree smoke script ran');\nprocess.exit(9);\n");
    await testAt(good);
    const passed = await cli('deploy', 'staging', '--commit', good, '--strategy', 'all-at-once');
    expect(passed.exitCode, passed.stdout + passed.stderr).toBe(0);
    expect(passed.stdout).toMatch(/✓ smoke +[\d.]+s +`node smoke\.mjs` passed in/);
    expect(passed.stdout + passed.stderr).not.toContain('the working tree smoke script ran');
    expect(await get('staging')).toBe('v2\n');

    // The other way round: X's own smoke script fails while the working tree's passes.
    const broken = await release(
      'v4',
      "console.error('release v4 smoke: checkout is broken');\nprocess.exit(4);\n",
    );
    await release('v5-head');
    await testAt(broken);
    const failed = await cli('deploy', 'staging', '--commit', broken, '--strategy', 'all-at-once');
    expect(failed.exitCode).not.toBe(0);
    expect(failed.stdout + failed.stderr).toContain('release v4 smoke: checkout is broken');
    expect(failed.stdout).toMatch(/✗ staging-\d{5}-\w{3} never took traffic: /);
    expect(await get('staging')).toBe('v2\n');
  });

  it("deploy --commit X is judged on X: its tests must have passed on X's tree, and X must be on the branch", async () => {
    // X's own test suite fails; the checkout's passes. Nothing of X is built or run before the refusal.
    project.repo.write('tests.mjs', "console.error('X fails its tests');\nprocess.exit(1);\n");
    const untested = await release('v-untested');
    project.repo.write('tests.mjs', "console.log('ok');\n");
    await release('v-head-tests-pass');
    const refused = await cli('deploy', 'staging', '--commit', untested, '--strategy', 'all-at-once');
    expect(refused.exitCode).toBe(1);
    expect(refused.stdout).toMatch(
      new RegExp(
        `✗ tests-pass +deploying commit ${untested.slice(0, 12)} \\(tree \\w{12}\\), but the checkout is tree \\w{12}: the suites run on the checkout, and tests never passed on the deployed commit's tree`,
      ),
    );
    expect(refused.stdout).not.toMatch(/✓ build|smoke/);
    // Tested where it is, its suites fail: still refused.
    await testAt(untested);
    expect((await cli('deploy', 'staging', '--commit', untested)).stdout).toMatch(
      /✗ tests-pass +deploying commit/,
    );

    // A commit that passed its suites, but lives only on a side branch: right-branch judges that commit.
    await project.repo.git('switch', '-q', '-c', 'side');
    const side = await release('v-side');
    await project.repo.git('switch', '-q', 'main');
    await testAt(side);
    const offBranch = await cli('deploy', 'staging', '--commit', side, '--strategy', 'all-at-once');
    expect(offBranch.exitCode).toBe(1);
    expect(offBranch.stdout).toMatch(
      new RegExp(`✗ right-branch +commit ${side.slice(0, 12)} is not on main`),
    );
    // Overridden (audited), the branch rule lets it by; its tests were passed on its own tree: cached.
    const hotfix = await cli(
      'deploy',
      'staging',
      '--commit',
      side,
      '--strategy',
      'all-at-once',
      '--override',
      'right-branch',
      '--reason',
      'hotfix from a side branch',
    );
    expect(hotfix.exitCode, hotfix.stdout + hotfix.stderr).toBe(0);
    expect(hotfix.stdout).toMatch(
      /✓ tests-pass +commit \w{12} is not the checkout; its tree \w{12} passed tests at .* \(cached\)/,
    );
    expect(await get('staging')).toBe('v-side\n');
  });

  it('a watch shorter than the configured one is refused; with --override full-watch --reason it is audited', async () => {
    const head = await release('v6');
    expect((await cli('deploy', 'staging', '--strategy', 'all-at-once')).exitCode).toBe(0);

    const hurried = await cli('deploy', 'production', '--commit', head, '--watch', '1s');
    expect(hurried.exitCode).toBe(1);
    expect(hurried.stdout).toMatch(/✗ full-watch +--watch 1s is shorter than the configured watch \(3s\)/);
    expect(await get('production')).not.toBe('v6\n');

    // Longer than configured needs nothing.
    const staging = await cli('deploy', 'staging', '--strategy', 'all-at-once', '--watch', '4s');
    expect(staging.exitCode, staging.stdout + staging.stderr).toBe(0);

    const overridden = await cli(
      'deploy',
      'production',
      '--commit',
      head,
      '--watch',
      '1s',
      '--override',
      'full-watch',
      '--reason',
      'outage fix, watched by hand',
    );
    expect(overridden.exitCode, overridden.stdout + overridden.stderr).toBe(0);
    expect(overridden.stdout).toMatch(/⚑ full-watch/);
    expect(await get('production')).toBe('v6\n');
    const audit = await cli('audit', 'log', '--env', 'production', '--json');
    const events = (
      JSON.parse(audit.stdout) as {
        events: { action: string; target?: string; reason?: string; outcome: string; actor: string }[];
      }
    ).events;
    expect(events).toContainEqual(
      expect.objectContaining({
        action: 'rule.override',
        target: 'full-watch',
        reason: 'outage fix, watched by hand',
        outcome: 'overridden',
        actor: 'releaser@example.com',
      }),
    );
  });

  it('a release verified with another app.start, app.build, app.healthPath or app.env is not promoted', async () => {
    const head = await release('v7');
    expect((await cli('deploy', 'staging', '--strategy', 'all-at-once')).exitCode).toBe(0);
    // The same bytes, started another way: the configuration is not in the release's digest.
    const config = readFileSync(join(project.repo.dir, 'prodguard.yaml'), 'utf8');
    project.repo.write(
      'prodguard.yaml',
      config.replace('APP_ENV: "{environment}"', 'APP_ENV: "{environment}"\n    DEBUG_BYPASS: "1"'),
    );
    try {
      const refused = await cli('deploy', 'production', '--commit', head, '--strategy', 'all-at-once');
      expect(refused.exitCode, refused.stdout + refused.stderr).toBe(1);
      expect(refused.stdout).toMatch(
        /✗ staging-first +release \S+ \(commit \w{7}\) was verified on staging with another app\.start, app\.build, app\.healthPath or app\.env than the configuration has now \(runtime:\w{12}, now runtime:\w{12}\)/,
      );
      expect(await get('production')).not.toBe('v7\n');
    } finally {
      project.repo.write('prodguard.yaml', config);
    }
    const promoted = await cli('deploy', 'production', '--commit', head, '--strategy', 'all-at-once');
    expect(promoted.exitCode, promoted.stdout + promoted.stderr).toBe(0);
    expect(await get('production')).toBe('v7\n');
  });

  it('the agent starts a release only the way the deploy records it, and a revision keeps its start command', async () => {
    // The same bytes hold a second entry point; only app.start picks between them.
    project.repo.write(
      'alt.mjs',
      `import { createServer } from 'node:http';
process.on('SIGTERM', () => process.exit(0));
createServer((req, res) => res.end(req.url === '/health' ? 'ok' : 'started by alt.mjs\\n')).listen(Number(process.env.PORT), '127.0.0.1');
`,
    );
    const head = await release('v8');
    expect((await cli('deploy', 'staging', '--strategy', 'all-at-once')).exitCode).toBe(0);
    expect(await get('staging')).toBe('v8\n');
    const config = readFileSync(join(project.repo.dir, 'prodguard.yaml'), 'utf8');
    project.repo.write('prodguard.yaml', config.replace('start: node server.mjs', 'start: node alt.mjs'));
    await project.repo.commitAll('start with alt.mjs');
    try {
      // The agent still starts revisions as it read prodguard.yaml at `up`: a deploy verifying `node alt.mjs`
      // while the agent would run `node server.mjs` is refused, and nothing is switched.
      const mismatch = await cli('deploy', 'staging', '--commit', head, '--strategy', 'all-at-once');
      expect(mismatch.exitCode).not.toBe(0);
      expect(mismatch.stdout + mismatch.stderr).toContain('PRODGUARD_PLATFORM_RUNTIME_MISMATCH');
      expect(mismatch.stdout + mismatch.stderr).toContain('prodguard down, then prodguard up');
      expect(await get('staging')).toBe('v8\n');

      // Restarted on the new file, the agent restores the revision made before as it was started.
      expect((await cli('down')).exitCode).toBe(0);
      expect((await cli('up', '--detach')).exitCode).toBe(0);
      expect(await get('staging')).toBe('v8\n');
      const alt = await cli('deploy', 'staging', '--commit', head, '--strategy', 'all-at-once');
      expect(alt.exitCode, alt.stdout + alt.stderr).toBe(0);
      expect(await get('staging')).toBe('started by alt.mjs\n');
    } finally {
      project.repo.write('prodguard.yaml', config);
      await project.repo.commitAll('start with server.mjs again');
      await cli('down');
      await cli('up', '--detach');
    }
    // And back: the revision started by alt.mjs keeps serving as it was verified.
    expect(await get('staging')).toBe('started by alt.mjs\n');
    expect((await cli('deploy', 'staging', '--commit', head, '--strategy', 'all-at-once')).exitCode).toBe(0);
    expect(await get('staging')).toBe('v8\n');
  });

  it("production runs the bytes staging verified, not what staging's revision wrote into the artifact since", async () => {
    // A release whose app writes into its own folder at start (where it may), and reports what it found there.
    project.repo.write(
      'server.mjs',
      `import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
const found = existsSync('runtime-state.txt') ? readFileSync('runtime-state.txt', 'utf8') : 'nothing\\n';
// As root, revisions run as app.runAs and cannot write their release at all (EACCES); otherwise they can.
try { writeFileSync('runtime-state.txt', \`written by \${process.env.APP_ENV}\\n\`); } catch {}
process.on('SIGTERM', () => process.exit(0));
createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(req.url === '/found' ? found : 'writer\\n');
}).listen(Number(process.env.PORT), '127.0.0.1');
`,
    );
    const writer = await project.repo.commitAll('an app that writes into its own folder');
    expect((await cli('deploy', 'staging', '--strategy', 'all-at-once')).exitCode).toBe(0);
    const found = async (environment: 'staging' | 'production') =>
      (await fetch(`http://127.0.0.1:${project.ports[environment]}/found`)).text();
    expect(await found('staging')).toBe('nothing\n');
    const promoted = await cli('deploy', 'production', '--commit', writer, '--strategy', 'all-at-once');
    expect(promoted.exitCode, promoted.stdout + promoted.stderr).toBe(0);
    expect(await found('production')).toBe('nothing\n');
    project.repo.write('server.mjs', APP_FILES['server.mjs']);
    await project.repo.commitAll('restore the server');
  });

  // Last: the credential stays in main's history.
  it("deploy --commit X scans X's files and history for credentials, not the checkout's", async () => {
    const password = 'Stag1ng-Passw0rd-4410';
    // A branch checked out from before X: its files and its history never saw the credential.
    await project.repo.git('switch', '-q', '-c', 'work');
    await project.repo.git('switch', '-q', 'main');
    project.repo.write('db.mjs', `export const url = "postgres://app:${password}@10.1.2.3:5432/app";\n`);
    const leaky = await release('v-leaky');
    await project.repo.git('switch', '-q', 'work');
    const refused = await cli('deploy', 'staging', '--commit', leaky, '--strategy', 'all-at-once');
    expect(refused.exitCode).toBe(1);
    expect(refused.stdout).toMatch(
      new RegExp(
        `✗ no-secrets-in-git +\\d+ credential\\(s\\) in \\d+ files of commit ${leaky.slice(0, 12)} and \\d+ commit\\(s\\).*db\\.mjs:1 database-connection-string`,
      ),
    );
    expect(refused.stdout + refused.stderr).not.toContain(password);
  });
});
