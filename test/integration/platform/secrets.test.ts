import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderServiceStatus } from '../../../src/cli/commands/status.js';
import type { Style } from '../../../src/cli/render.js';
import { systemClock } from '../../../src/kernel/clock.js';
import { readPlatformStatus } from '../../../src/platform/index.js';
import { readRevisionLogs } from '../../../src/platform/local/read-revision-logs.js';
import { revisionLogFile } from '../../../src/platform/local/revision-log.js';
import { LocalSecretVault, loadMasterKey, resolveSecretEnv } from '../../../src/secrets/index.js';
import { StateStore } from '../../../src/store/index.js';
import { createPlatformFixture, httpGet, type PlatformFixture, tinyConfig } from './platform-fixture.js';

const same = (text: string) => text;
const plainStyle: Style = { ok: same, bad: same, warn: same, dim: same, bold: same };

const PASSWORD = 'correct-horse-battery-staple-4711';
const JWT_OLD = 'k0ld+Jwt/Key==with-symbols-0001';
const JWT_NEW = 'N3wJwtSigningKey-0000000000000002';
const API_KEY = 'ak_live_51HxQ9Sx0mething';

describe('local platform: pinned secrets and environment', () => {
  let f: PlatformFixture;
  let store: StateStore | undefined;

  beforeAll(async () => {
    const config = tinyConfig()
      .replace(
        '    GREETING: "hello {environment}"\n',
        '    GREETING: "hello {environment}"\n    DB_HOST: "{database.host}"\n    DATABASE_URL: "postgresql://app:{secret.DB_PASSWORD}@{database.host}:{database.port}/{database.name}"\n',
      )
      .replace(
        '  staging: {}',
        '  staging:\n    database:\n      url: postgresql://app@db.internal:6543/resumes',
      );
    f = await createPlatformFixture(config, {
      prepare: async (stateDir) => {
        store = StateStore.open(join(stateDir, 'state.db'));
        const key = loadMasterKey({ env: {}, stateDir, create: true });
        const vault = LocalSecretVault.open(store, key, systemClock);
        await vault.addVersion({ name: 'DB_PASSWORD', environment: 'staging' }, 'old-value-old-value', {
          actor: 'tester@example.com',
          kind: 'external',
        });
        await vault.addVersion({ name: 'DB_PASSWORD', environment: 'staging' }, PASSWORD, {
          actor: 'tester@example.com',
          kind: 'external',
        });
        for (const value of [JWT_OLD, JWT_NEW])
          await vault.addVersion({ name: 'JWT_SECRET', environment: 'staging' }, value, {
            actor: 'tester@example.com',
            kind: 'random',
          });
        await vault.addVersion({ name: 'API_KEY', environment: 'staging' }, API_KEY, {
          actor: 'tester@example.com',
          kind: 'external',
        });
        return (environment, pins) => resolveSecretEnv(vault, environment, pins);
      },
    });
  });
  afterAll(async () => {
    await f?.close();
    store?.close();
  });

  it('delivers the pinned version as an env var, and never writes the value to state or logs', async () => {
    const rev = await f.revision(await f.commit({ version: 's' }), {
      secrets: { DB_PASSWORD: { version: 2, envVar: 'DB_PASSWORD' } },
    });
    expect(rev.secretVersions).toEqual({ DB_PASSWORD: 2 });
    const env = JSON.parse((await httpGet(`${rev.url}/env`)).body);
    expect(env).toEqual({
      DB_HOST: 'db.internal',
      GREETING: 'hello staging',
      DB_PASSWORD_SHA256: createHash('sha256').update(PASSWORD).digest('hex'),
      DATABASE_URL_SHA256: createHash('sha256')
        .update(`postgresql://app:${PASSWORD}@db.internal:6543/resumes`)
        .digest('hex'),
      // the agent's own environment does not leak into revisions
      HAS_PARENT_SECRET: false,
    });
    expect(readFileSync(f.agent.paths.state, 'utf8')).not.toContain(PASSWORD);
    expect(readFileSync(revisionLogFile(f.agent.paths.logs, 'staging', rev.name), 'utf8')).not.toContain(
      PASSWORD,
    );
    const listed = JSON.stringify(await f.platform.listRevisions('staging'));
    expect(listed).not.toContain(PASSWORD);
    // `prodguard status` shows which version each revision runs with, never the value.
    const [status] = await readPlatformStatus(f.platform, { services: ['staging'] });
    expect(status!.revisions.find((r) => r.name === rev.name)?.secretVersions).toEqual({ DB_PASSWORD: 2 });
    const table = renderServiceStatus(status!, plainStyle);
    expect(table).toContain('SECRETS');
    expect(table).toContain('DB_PASSWORD v2');
    expect(table).not.toContain(PASSWORD);
  });

  it('masks every secret value the revision was given in its log, whatever the app prints', async () => {
    const rev = await f.revision(
      await f.commit({
        version: 'p',
        printEnv: ['DB_PASSWORD', 'JWT_SECRET', 'JWT_SECRET_PREVIOUS', 'API_KEY', 'DATABASE_URL'],
      }),
      {
        secrets: {
          DB_PASSWORD: { version: 2, envVar: 'DB_PASSWORD' },
          JWT_SECRET: { version: 2, envVar: 'JWT_SECRET' },
          API_KEY: { version: 1, envVar: 'API_KEY' },
        },
      },
    );
    const file = readFileSync(revisionLogFile(f.agent.paths.logs, 'staging', rev.name), 'utf8');
    const shown = JSON.stringify(readRevisionLogs({ logsDir: f.agent.paths.logs, service: 'staging' }));
    for (const value of [PASSWORD, JWT_NEW, JWT_OLD, API_KEY, encodeURIComponent(JWT_OLD)]) {
      expect(file).not.toContain(value);
      expect(shown).not.toContain(value);
    }
    // what the app printed is there, masked: the host rendered from the URL stays readable
    expect(file).toContain('config jwt_secret_previous [redacted]');
    expect(file).toContain('config api_key [redacted]');
    expect(file).toContain('db pass [redacted]');
    expect(file).toContain('@db.internal:6543/resumes');
  });

  it('a pin to a version that does not exist fails the revision with a reason', async () => {
    const rev = await f.revision(await f.commit({ version: 's2' }), {
      wait: false,
      secrets: { DB_PASSWORD: { version: 9, envVar: 'DB_PASSWORD' } },
    });
    await expect(f.platform.waitReady('staging', rev.name, 5000)).rejects.toThrow(
      /pinned secrets could not be resolved/,
    );
  });

  it('refuses a revision whose app.env needs a secret it does not pin', async () => {
    const sha = await f.commit({ version: 's3' });
    await expect(f.revision(sha, { wait: false })).rejects.toMatchObject({
      code: 'PRODGUARD_PLATFORM_ENV_TEMPLATE',
      message: expect.stringContaining('DATABASE_URL needs {secret.DB_PASSWORD}'),
    });
  });
});
