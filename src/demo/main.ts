import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../kernel/free-port.js';
import { nodeProcessRunner } from '../kernel/process-runner.js';
import { DemoCli } from './demo-cli.js';
import { demoConfig } from './demo-config.js';
import { startDemoDatabase } from './demo-database.js';
import type { DeployTimeline } from './deploy-timeline.js';
import { LoadGenerator } from './load-generator.js';
import { type PhaseResult, renderSummary } from './render-summary.js';

/**
 * `npm run demo`: the whole tour on embedded infrastructure. An embedded PostgreSQL, the local platform
 * agent, the example résumé API deployed to staging and promoted to production under steady load; an
 * unverified release refused; a faulty release that passes staging but fails under production traffic,
 * caught by the canary and rolled back. Everything it starts is stopped at the end.
 */

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const color = process.stdout.isTTY && !process.env.NO_COLOR;
const bold = (text: string) => (color ? `\u001b[1m${text}\u001b[0m` : text);
const print = (text: string) => process.stdout.write(text);
const say = (text = '') => print(`${text}\n`);

async function main(): Promise<void> {
  const started = performance.now();
  // Inside the prodguard folder: the app's releases resolve pg, jose, pdfkit and @prodguard/runtime from it.
  const work = join(ROOT, '.demo', `run-${process.pid}`);
  const repo = join(work, 'cvstomize-api');
  mkdirSync(repo, { recursive: true });
  const cleanups: (() => Promise<unknown>)[] = [];
  const env: NodeJS.ProcessEnv = { ...process.env, PRODGUARD_ACTOR: 'demo@cvstomize.dev', NO_COLOR: '1' };
  delete env.PRODGUARD_MASTER_KEY;
  const cli = new DemoCli({ bin: join(ROOT, 'bin', 'prodguard.js'), cwd: repo, env, print });
  const git = async (...args: string[]) => {
    const result = await nodeProcessRunner.run('git', args, { cwd: repo, env });
    if (result.failed) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  };
  const commitAll = async (message: string) => {
    await git('add', '-A');
    await git('commit', '-q', '-m', message);
  };
  const changelog = (entries: string) =>
    writeFileSync(join(repo, 'CHANGELOG.md'), `# Changelog\n\n${entries}`);

  try {
    say(bold('prodguard demo: the production-safety guidelines, enforced'));
    say();

    say(bold('1. Embedded PostgreSQL, one cluster per environment, password authentication (scram-sha-256)'));
    const database = await startDemoDatabase(join(work, 'postgres'));
    cleanups.push(() => database.stop());
    say(
      `  ✓ staging on 127.0.0.1:${database.port('staging')}, production on 127.0.0.1:${database.port('production')}`,
    );
    say();

    say(bold('2. The résumé API (examples/cvstomize-api) in its own git repository, with prodguard.yaml'));
    cpSync(join(ROOT, 'examples', 'cvstomize-api'), repo, {
      recursive: true,
      filter: (path) => !/node_modules|FAULTY_RELEASE|[/\\]test([/\\]|$)/.test(path),
    });
    writeFileSync(join(repo, 'prodguard.yaml'), demoConfig({ agentPort: await freePort() }));
    writeFileSync(join(repo, '.gitignore'), '.prodguard/\nnode_modules/\n');
    changelog('## 1.0.0\n- Résumé API: register, login, upload, generate, PDF\n');
    await git('init', '-q', '-b', 'main');
    await git('config', 'user.email', 'demo@cvstomize.dev');
    await git('config', 'user.name', 'Demo');
    await commitAll('cvstomize-api 1.0.0');
    say('  ✓ committed cvstomize-api 1.0.0');
    say();

    say(
      bold(
        '3. Secrets go to the encrypted vault (from stdin, never argv); migrations go staging → production',
      ),
    );
    for (const name of ['staging', 'production'] as const) {
      // The admin connection only prodguard uses (to create roles and rotate passwords), never the app.
      await cli.run(['secrets', 'add', 'DATABASE_URL_ADMIN', '--env', name, '--kind', 'external'], {
        input: database.adminUrl(name),
        quiet: true,
      });
      await cli.run(['secrets', 'add', 'JWT_SECRET', '--env', name, '--kind', 'random'], {
        input: database.jwtSecret(name),
        quiet: true,
      });
      await cli.run(['secrets', 'setup-roles', '--env', name]);
    }
    // prodguard itself reaches the databases through variables named in prodguard.yaml (urlEnv).
    for (const name of ['staging', 'production'] as const) {
      const url = await cli.run(['secrets', 'get', 'DATABASE_URL', '--env', name, '--reveal'], {
        quiet: true,
      });
      cli.setEnv(`${name.toUpperCase()}_DATABASE_URL`, url.stdout.trim());
    }
    cli.setEnv('DEMO_SHADOW_DATABASE_URL', database.shadowUrl);
    await cli.run(['migrate', 'deploy', 'staging']);
    await cli.run(['migrate', 'verify-rollback', 'production']);
    await cli.run([
      'migrate',
      'deploy',
      'production',
      ...(database.hasPgDump
        ? []
        : ['--override', 'migration-backup', '--reason', 'demo machine has no pg_dump']),
    ]);
    say();

    say(bold('4. The local platform: a router per environment, each revision a process'));
    await cli.run(['up', '--detach']);
    cleanups.push(() => cli.run(['down'], { quiet: true }));
    const routers = JSON.parse((await cli.run(['status', '--json'], { quiet: true })).stdout) as {
      services: { name: string; url: string }[];
    };
    const production = routers.services.find((s) => s.name === 'production')!.url;
    say();

    const load = new LoadGenerator({
      url: production,
      concurrency: 8,
      pauseMs: 15,
      maxRequests: 150_000,
      paths: ['/api/templates', '/health', '/api/templates', '/'],
    });
    cleanups.push(() => load.stop());
    const phases: PhaseResult[] = [];
    const phase = async (name: string, fn: () => Promise<DeployTimeline>, mayFail = false) => {
      const from = load.now();
      const timeline = await fn();
      const result = { name, ...load.between(from, load.now()), timeline };
      phases.push(result);
      // Zero downtime is a claim the demo checks, not one it prints.
      if (!mayFail && result.failed > 0) {
        say(`  ✗ ${result.failed} production request(s) failed during "${name}"`);
        process.exitCode = 1;
      }
    };

    say(bold('5. Release 1.0.0: staging first, then production'));
    await phase('deploy 1.0.0 to staging', () =>
      cli.deploy(['deploy', 'staging', '--note', 'first release'], 0),
    );
    await phase('promote 1.0.0 to production', () =>
      cli.deploy(['deploy', 'production', '--note', 'first production release'], 0),
    );
    say();

    say(
      bold(
        '6. Release 1.1.0 under steady production load: refused until verified on staging, then zero-downtime',
      ),
    );
    load.start();
    say(`  background load: 8 clients on ${production} from now on`);
    changelog('## 1.1.0\n- Faster PDF rendering\n\n## 1.0.0\n- first release\n');
    await commitAll('cvstomize-api 1.1.0');
    await phase('1.1.0 to production, unverified', () =>
      cli.deploy(['deploy', 'production', '--note', '1.1.0'], 1),
    );
    await phase('deploy 1.1.0 to staging', () => cli.deploy(['deploy', 'staging', '--note', '1.1.0'], 0));
    await phase('promote 1.1.0 to production', () =>
      cli.deploy(['deploy', 'production', '--note', '1.1.0'], 0),
    );
    say();

    say(
      bold(
        '7. Release 1.2.0 has a bug only real traffic finds: it passes staging, the production canary catches it',
      ),
    );
    writeFileSync(join(repo, 'FAULTY_RELEASE'), 'rate=0.5\npath=/api/\nafter=5\n');
    changelog('## 1.2.0\n- New template engine\n\n## 1.1.0\n- Faster PDF rendering\n');
    await commitAll('cvstomize-api 1.2.0: new template engine');
    await phase('deploy 1.2.0 to staging', () => cli.deploy(['deploy', 'staging', '--note', '1.2.0'], 0));
    await phase(
      'canary 1.2.0 on production',
      () =>
        cli.deploy(
          ['deploy', 'production', '--note', '1.2.0', '--strategy', 'canary', '--steps', '10,50,100'],
          3,
        ),
      true,
    );
    say();

    say(bold('8. The Nov 7 outage, done right: rotate the database password under load, staging first'));
    await phase('rotate DATABASE_URL on staging', async () => {
      await cli.run(['secrets', 'rotate', 'DATABASE_URL', '--env', 'staging']);
      return { outcome: 'rotated' };
    });
    await phase('rotate DATABASE_URL on production', async () => {
      await cli.run(['secrets', 'rotate', 'DATABASE_URL', '--env', 'production']);
      return { outcome: 'rotated' };
    });
    say();

    say(bold('9. Where things stand'));
    await cli.run(['status', 'production']);
    await cli.run(['audit', 'verify']);
    await load.stop();
    say();
    say(renderSummary(phases, load));
    say(
      `demo finished in ${((performance.now() - started) / 1000).toFixed(0)} s; stopping everything it started`,
    );
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    if (!process.env.PRODGUARD_DEMO_KEEP) rmSync(join(ROOT, '.demo'), { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
