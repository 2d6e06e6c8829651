import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderServiceStatus } from '../../../src/cli/commands/status.js';
import type { Style } from '../../../src/cli/render.js';
import { systemClock } from '../../../src/kernel/clock.js';
import { readPlatformStatus } from '../../../src/platform/index.js';
import { revisionLogFile } from '../../../src/platform/local/revision-log.js';
import { LocalSecretVault, loadMasterKey, resolveSecretEnv } from '../../../src/secrets/index.js';
import { StateStore } from '../../../src/store/index.js';
import { createPlatformFixture, httpGet, type PlatformFixture, tinyConfig } from './platform-fixture.js';

const same = (text: string) => text;
const plainStyle: Style = { ok: same, bad: same, warn: same, dim: same, bold: same };

const PASSWORD = 'correct-horse-battery-staple-4711';

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
