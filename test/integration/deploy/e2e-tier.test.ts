import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { APP_FILES, appConfig, useAgentProject, withRouterPorts } from './deploy-fixture.js';

const E2E_SCRIPT = readFileSync(fileURLToPath(new URL('./app/e2e.mjs', import.meta.url)), 'utf8');

// The real CLI from dist/ (build first) against a real agent: seed §9's E2E tier on staging, and production
// refusing a digest whose staging verification lacks it.
describe('the E2E suite on staging (real CLI)', () => {
  const project = useAgentProject((ports) => ({
    ...APP_FILES,
    'e2e.mjs': E2E_SCRIPT,
    'behavior.json': '{ "version": "v1" }\n',
    'prodguard.yaml': withRouterPorts(appConfig(ports.agent, '').replace('watch: 2s', 'watch: 1s'), ports),
  }));
  const { cli } = project;

  it('production refuses a release staging verified without the E2E suite, naming it; staging then runs it', async () => {
    const release = await project.repo.git('rev-parse', 'HEAD');
    // Verified on staging while no E2E suite was configured.
    const before = await cli('deploy', 'staging', '--strategy', 'all-at-once');
    expect(before.exitCode, before.stdout + before.stderr).toBe(0);
    expect(before.stdout).not.toContain('e2e');

    // The team adds the E2E tier: the same release is no longer enough for production.
    project.repo.write(
      'prodguard.yaml',
      readFileSync(`${project.repo.dir}/prodguard.yaml`, 'utf8').replace(
        'tests:\n  command: node --check server.mjs\n',
        'tests:\n  suites:\n    - { name: syntax, command: node --check server.mjs }\n  e2e:\n    name: checkout\n    command: node e2e.mjs\n    timeout: 30s\n',
      ),
    );
    await project.repo.commitAll('e2e tier');
    const refused = await cli('deploy', 'production', '--commit', release);
    expect(refused.exitCode, refused.stdout + refused.stderr).toBe(1);
    expect(refused.stdout).toMatch(
      new RegExp(
        `✗ staging-first +release [0-9a-f]{12} \\(commit ${release.slice(0, 7)}\\) was verified on staging without the E2E suite checkout \\(its checks: wait-ready, smoke, watch, runtime:[0-9a-f]{12}\\)`,
      ),
    );
    expect(refused.stdout).toContain(`prodguard deploy staging --commit ${release.slice(0, 12)}`);

    // Staging runs the release's own E2E suite against the new revision's URL, and verifies it with that pass.
    const staging = await cli('deploy', 'staging', '--commit', release, '--strategy', 'all-at-once');
    expect(staging.exitCode, staging.stdout + staging.stderr).toBe(0);
    expect(staging.stdout).toMatch(/✓ e2e +[\d.]+s +checkout: `node e2e\.mjs` passed in/);

    const production = await cli('deploy', 'production', '--commit', release, '--json');
    const lines = production.stdout.trim().split('\n');
    const result = JSON.parse(lines.at(-1)!) as { outcome: string; steps: { name: string }[] };
    expect(result.outcome, production.stdout + production.stderr).toBe('success');
    expect(result.steps.map((s) => s.name)).not.toContain('e2e');
  });

  it('a failing E2E suite on staging fails the deploy before traffic moves', async () => {
    project.repo.write('e2e.mjs', "console.error('checkout: expected 200, got 500');\nprocess.exit(1);\n");
    project.repo.write('behavior.json', '{ "version": "v2" }\n');
    await project.repo.commitAll('v2 with a failing e2e');
    const failed = await cli('deploy', 'staging', '--strategy', 'all-at-once');
    expect(failed.exitCode).not.toBe(0);
    expect(failed.stdout + failed.stderr).toMatch(
      /E2E suite checkout `node e2e\.mjs` against http:\/\/127\.0\.0\.1:\d+\S* exited 1/,
    );
    expect(failed.stdout + failed.stderr).toContain('checkout: expected 200, got 500');
    expect(failed.stdout).toMatch(/✗ staging-\d+-\w+ never took traffic: E2E suite checkout/);
    expect(failed.stdout).not.toMatch(/traffic-100 .*100 % to/);
    // Staging still serves the verified v1.
    const response = await fetch(`http://127.0.0.1:${project.ports.staging}/`);
    expect(await response.text()).toBe('v1\n');
  });
});
