import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { APP_FILES, appConfig, useAgentProject, withRouterPorts } from './deploy-fixture.js';

const E2E_SCRIPT = readFileSync(fileURLToPath(new URL('./app/e2e.mjs', import.meta.url)), 'utf8');

interface Release {
  commit: string;
  digest: string;
  percent: number;
  excluded: string[] | null;
  verifications: {
    environment: string;
    standing: boolean;
    checks: string[];
    tests?: { verdict: string; suites: { name: string; status: string }[] };
  }[];
  e2e: { environment: string; suite: string; passed: boolean; at: string; message?: string }[];
  failedOn: { environment: string; verdict: string }[];
}

// The real CLI from dist/ (build first) against a real agent: what `prodguard status` says about each release.
describe('prodguard status: releases, digests, verifications (real CLI)', () => {
  const project = useAgentProject((ports) => ({
    ...APP_FILES,
    'e2e.mjs': E2E_SCRIPT,
    'behavior.json': '{ "version": "v1" }\n',
    // Paths a digest that skips vendored dependencies or dot-files would miss: each is committed.
    'node_modules/dep/index.js': 'module.exports = 1;\n',
    '.prodguard-notes': 'first\n',
    '.npmrc': 'fund=false\n',
    'prodguard.yaml': withRouterPorts(
      appConfig(ports.agent, '')
        .replace('watch: 2s', 'watch: 1s')
        .replace(
          'tests:\n  command: node --check server.mjs\n',
          'tests:\n  suites:\n    - { name: syntax, command: node --check server.mjs }\n    - { name: smoke-syntax, command: node --check smoke.mjs }\n  e2e:\n    name: checkout\n    command: node e2e.mjs\n    timeout: 30s\n',
        ),
      ports,
      `  analysis:
    interval: 500ms
    window: 3s
    consecutiveBreaches: 2
    minRequests: 10
    probePaths: ['/', '/health']
`,
    ),
  }));
  const { cli } = project;
  const releasesOf = async (environment: string) => {
    const status = await cli('status', environment, '--json');
    expect(status.exitCode, status.stderr).toBe(0);
    return (JSON.parse(status.stdout) as { services: { releases: Release[] }[] }).services[0]!.releases;
  };
  const serving = async (environment: string) => (await releasesOf(environment)).find((r) => r.percent > 0)!;
  const deploy = async (environment: string, ...args: string[]) => {
    const run = await cli('deploy', environment, '--strategy', 'all-at-once', ...args);
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    return run;
  };

  it('shows the serving release: its digest, nothing excluded, the suites and the E2E pass it was verified with', async () => {
    await deploy('staging');
    const release = await serving('staging');
    expect(release.commit).toBe(await project.repo.git('rev-parse', 'HEAD'));
    expect(release.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(release.excluded).toEqual([]);
    expect(release.failedOn).toEqual([]);
    expect(release.verifications).toHaveLength(1);
    expect(release.verifications[0]).toMatchObject({
      environment: 'staging',
      standing: true,
      checks: expect.arrayContaining(['e2e:checkout', 'smoke', 'watch']),
      tests: {
        verdict: 'pass',
        suites: [
          { name: 'syntax', status: 'pass' },
          { name: 'smoke-syntax', status: 'pass' },
        ],
      },
    });
    expect(release.e2e).toEqual([
      expect.objectContaining({ environment: 'staging', suite: 'checkout', passed: true }),
    ]);

    const human = await cli('status', 'staging');
    expect(human.stdout).toContain(`digest     ${release.digest}`);
    expect(human.stdout).toContain(
      'excluded   nothing excluded (the digest covers every file of the artifact)',
    );
    expect(human.stdout).toMatch(
      /verified {3}✓ staging \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ · checks .*e2e:checkout/,
    );
    expect(human.stdout).toMatch(/suites ✓ syntax( \(cached\))? {2}✓ smoke-syntax/);
    expect(human.stdout).toMatch(/e2e {8}✓ checkout on staging \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ/);
  });

  it('a commit that changes only a vendored dependency, a root .prodguard-* file or a dot-file is a new digest', async () => {
    const seen = new Set([(await serving('staging')).digest]);
    for (const [path, content] of [
      ['node_modules/dep/index.js', 'module.exports = 2;\n'],
      ['.prodguard-notes', 'second\n'],
      ['.npmrc', 'fund=true\n'],
    ] as const) {
      project.repo.write(path, content);
      const commit = await project.repo.commitAll(`change only ${path}`);
      await deploy('staging');
      const release = await serving('staging');
      expect(release.commit).toBe(commit);
      expect(seen.has(release.digest), `${path} left the digest unchanged`).toBe(false);
      expect(release.excluded).toEqual([]);
      seen.add(release.digest);
    }
  });

  it('a failing E2E suite shows ✗ on the release, failed on staging', async () => {
    const good = await project.repo.git('rev-parse', 'HEAD');
    project.repo.write('e2e.mjs', "console.error('checkout: expected 200, got 500');\nprocess.exit(1);\n");
    project.repo.write('behavior.json', '{ "version": "e2e-broken" }\n');
    const broken = await project.repo.commitAll('a release whose E2E suite fails');
    const failed = await cli('deploy', 'staging', '--strategy', 'all-at-once');
    expect(failed.exitCode).not.toBe(0);
    const releases = await releasesOf('staging');
    expect(releases.find((r) => r.percent > 0)!.commit).toBe(good);
    const release = releases.find((r) => r.commit === broken)!;
    expect(release.percent).toBe(0);
    expect(release.verifications).toEqual([]);
    expect(release.e2e).toEqual([
      expect.objectContaining({ environment: 'staging', suite: 'checkout', passed: false }),
    ]);
    expect(release.e2e[0]!.message).toContain('E2E suite checkout');
    expect(release.failedOn).toEqual([
      expect.objectContaining({ environment: 'staging', verdict: 'failed' }),
    ]);
    const human = await cli('status', 'staging');
    expect(human.stdout).toMatch(
      new RegExp(
        `release [0-9a-f]{12} \\(commit ${broken.slice(0, 8)}\\) not serving: e2e ✗ checkout on staging \\S+ \\S+: .*E2E suite checkout.* · failed on staging`,
      ),
    );
    project.repo.write('e2e.mjs', E2E_SCRIPT);
    project.repo.write('behavior.json', '{ "version": "v1" }\n');
    await project.repo.commitAll('restore the E2E suite');
  });

  it('a release rolled back on production shows as failed on production on both environments, its verification revoked', async () => {
    const good = await project.repo.git('rev-parse', 'HEAD');
    await deploy('staging');
    await deploy('production', '--commit', good);
    expect((await serving('production')).verifications.map((v) => v.environment)).toEqual([
      'production',
      'staging',
    ]);

    project.repo.write(
      'behavior.json',
      '{ "version": "bad-in-production", "failIn": "production", "failRate": 0.6 }\n',
    );
    const bad = await project.repo.commitAll('fails only under production traffic');
    await deploy('staging');
    const promoted = await cli(
      'deploy',
      'production',
      '--commit',
      bad,
      '--strategy',
      'all-at-once',
      '--watch',
      '8s',
    );
    expect(promoted.exitCode, promoted.stdout + promoted.stderr).not.toBe(0);

    const onStaging = await serving('staging');
    expect(onStaging.commit).toBe(bad);
    expect(onStaging.failedOn).toEqual([
      // The watch caught it: the revision failed and traffic went back to the known-good one.
      expect.objectContaining({ environment: 'production', verdict: 'failed' }),
    ]);
    expect(onStaging.verifications).toEqual([
      expect.objectContaining({ environment: 'staging', standing: false }),
    ]);
    const onProduction = (await releasesOf('production')).find((r) => r.commit === bad)!;
    expect(onProduction.percent).toBe(0);
    expect(onProduction.failedOn).toEqual(onStaging.failedOn);

    const human = await cli('status', 'staging');
    expect(human.stdout).toMatch(/✗ staging \S+ \S+ revoked \(failed on production\) · checks/);
    expect(human.stdout).toMatch(/failed on production \S+ \S+ \(production-\d{5}-\w{3}\)/);
  });
});
