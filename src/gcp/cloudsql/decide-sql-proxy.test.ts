import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Config } from '../../config/index.js';
import { resolveDatabaseTarget, withDatabaseRoutes } from '../../database/database-target.js';
import { systemClock } from '../../kernel/clock.js';
import { isProdguardError } from '../../kernel/errors.js';
import type { PostgresRoleAdmin } from '../../secrets/postgres-role-admin.js';
import type { SecretVault } from '../../secrets/secret-vault.js';
import { openSecretsBackendsFor } from '../open-gcp.js';
import { decideSqlProxy, findExecutable, proxiedDatabaseUrl } from './decide-sql-proxy.js';

const dir = mkdtempSync(join(tmpdir(), 'prodguard-decide-proxy-'));
const bin = join(dir, 'cloud-sql-proxy');
writeFileSync(bin, '#!/bin/sh\n');
chmodSync(bin, 0o755);
writeFileSync(join(dir, 'not-executable'), '');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function configWith(sqlProxy: Record<string, unknown>, platform: Record<string, unknown> = {}) {
  return {
    root: dir,
    stateDirPath: dir,
    environmentOrder: ['production'],
    database: {},
    rules: {},
    environments: {
      production: {
        database: { urlEnv: 'DB' },
        platform: {
          kind: 'cloudrun',
          project: 'my-app-prod',
          region: 'us-central1',
          sqlInstance: 'api-db',
          sqlProxy: { mode: 'auto', privateIp: false, startTimeout: 30_000, ...sqlProxy },
          ...platform,
        },
      },
    },
  } as unknown as Config;
}

describe('decideSqlProxy', () => {
  it('auto starts the binary found on PATH with project:region:instance', () => {
    expect(decideSqlProxy(configWith({}), 'production', { PATH: `/nowhere:${dir}` })).toEqual({
      start: true,
      launch: {
        environment: 'production',
        connectionName: 'my-app-prod:us-central1:api-db',
        binary: bin,
        privateIp: false,
        startTimeoutMs: 30_000,
      },
    });
  });

  it('auto without the binary, off, or no Cloud SQL instance: no proxy', () => {
    expect(decideSqlProxy(configWith({}), 'production', { PATH: '/nowhere' })).toEqual({
      start: false,
      reason: 'not-found',
    });
    expect(decideSqlProxy(configWith({ mode: 'off' }), 'production', { PATH: dir })).toEqual({
      start: false,
      reason: 'off',
    });
    expect(decideSqlProxy(configWith({}, { sqlInstance: undefined }), 'production', { PATH: dir })).toEqual({
      start: false,
      reason: 'not-cloud-sql',
    });
  });

  it('on without the binary is a usage error naming the fix; a binary path that is not executable too', () => {
    for (const [settings, says] of [
      [{ mode: 'on' }, 'cloud-sql-proxy is not on PATH'],
      [{ mode: 'on', binary: join(dir, 'not-executable') }, 'not-executable is not an executable file'],
    ] as const) {
      let caught: unknown;
      try {
        decideSqlProxy(configWith(settings), 'production', { PATH: '/nowhere' });
      } catch (error) {
        caught = error;
      }
      expect(isProdguardError(caught) && caught.code).toBe('PRODGUARD_GCP_PROXY_NOT_FOUND');
      if (!isProdguardError(caught)) return;
      expect(caught.message).toContain(says);
      expect(caught.exitCode).toBe(2);
      expect(caught.hint).toContain('sqlProxy.binary');
    }
  });

  it('an explicit connection name and private IP', () => {
    const d = decideSqlProxy(
      configWith({ connectionName: 'my-app-prod:europe-west1:db', privateIp: true }),
      'production',
      { PATH: dir },
    );
    expect(d.start && d.launch).toMatchObject({
      connectionName: 'my-app-prod:europe-west1:db',
      privateIp: true,
    });
  });
});

describe('proxiedDatabaseUrl', () => {
  it('keeps role, password, database and parameters; replaces the host; drops the socket and TLS parameters', () => {
    expect(
      proxiedDatabaseUrl(
        'postgresql://app:s3cr%40t@10.0.0.3:5432/app?sslmode=require&application_name=x',
        6000,
        'p',
      ),
    ).toBe('postgresql://app:s3cr%40t@127.0.0.1:6000/app?application_name=x');
    expect(proxiedDatabaseUrl('postgresql://app:pw@/app?host=/cloudsql/p:r:i', 6001, 'p')).toBe(
      'postgresql://app:pw@127.0.0.1:6001/app',
    );
  });

  it('refuses what is not a URL without echoing it (it may hold a password)', () => {
    expect(() => proxiedDatabaseUrl('host=10.0.0.3 password=hunter2', 6000, 'production')).toThrow(
      expect.objectContaining({
        code: 'PRODGUARD_GCP_PROXY_FAILED',
        message: expect.not.stringContaining('hunter2'),
      }),
    );
  });
});

describe('resolveDatabaseTarget with the proxy', () => {
  const url = 'postgresql://app:pw@10.0.0.3/app';
  it('routes through the started proxy, and refuses to go around one it requires', () => {
    const config = configWith({});
    const env = { DB: url, PATH: dir };
    expect(() => resolveDatabaseTarget(config, 'production', env)).toThrow(
      expect.objectContaining({ code: 'PRODGUARD_GCP_PROXY_NOT_STARTED' }),
    );
    const routed = withDatabaseRoutes(
      env,
      new Map([['production', { url: (u: string) => proxiedDatabaseUrl(u, 7000, 'production') }]]),
    );
    expect(resolveDatabaseTarget(config, 'production', routed).url).toBe(
      'postgresql://app:pw@127.0.0.1:7000/app',
    );
    const failed = withDatabaseRoutes(env, new Map([['production', { error: new Error('proxy failed') }]]));
    expect(() => resolveDatabaseTarget(config, 'production', failed)).toThrow('proxy failed');
    // A copy of the variables is a different command's: it has no route.
    expect(() => resolveDatabaseTarget(config, 'production', { ...routed })).toThrow(
      expect.objectContaining({ code: 'PRODGUARD_GCP_PROXY_NOT_STARTED' }),
    );
  });

  it('a direct URL when the proxy is off or not installed', () => {
    expect(resolveDatabaseTarget(configWith({ mode: 'off' }), 'production', { DB: url, PATH: dir }).url).toBe(
      url,
    );
    expect(resolveDatabaseTarget(configWith({}), 'production', { DB: url, PATH: '/nowhere' }).url).toBe(url);
  });
});

describe('findExecutable', () => {
  it('searches PATH in order, or takes a path as written', () => {
    expect(findExecutable('cloud-sql-proxy', { PATH: `/nowhere:${dir}` })).toBe(bin);
    expect(findExecutable(bin, { PATH: '' })).toBe(bin);
    expect(findExecutable('not-executable', { PATH: dir })).toBeUndefined();
    expect(findExecutable('cloud-sql-proxy', {})).toBeUndefined();
  });
});

describe("rotation's test-login and setup-roles on Cloud SQL", () => {
  it('connect through the proxy the command started, and never around a proxy it requires', async () => {
    const config = configWith({}, { service: 'api', image: 'us-docker.pkg.dev/p/a/api:{commit}' });
    const tried: string[] = [];
    const localRoles = {
      tryLogin: async (url: string) => {
        tried.push(url);
        return { ok: true as const };
      },
      setupRoles: async (url: string) => {
        tried.push(url);
        return [];
      },
    } as unknown as PostgresRoleAdmin;
    const env = { PATH: dir, PRODGUARD_GCP_ENDPOINT: 'http://127.0.0.1:9' };
    const routed = withDatabaseRoutes(
      env,
      new Map([['production', { url: (u: string) => proxiedDatabaseUrl(u, 7001, 'production') }]]),
    );
    const open = (e: NodeJS.ProcessEnv) =>
      openSecretsBackendsFor(config, {
        env: e,
        clock: systemClock,
        localVault: {} as SecretVault,
        localRoles,
      }).rolesFor('production');
    const socket = 'postgresql://app_b:n3w-pw@/app?host=/cloudsql/my-app-prod:us-central1:api-db';
    await open(routed).tryLogin(socket);
    await open(routed).setupRoles(socket, 'app', [{ role: 'app_a', password: 'x' }]);
    expect(tried).toEqual([
      'postgresql://app_b:n3w-pw@127.0.0.1:7001/app',
      'postgresql://app_b:n3w-pw@127.0.0.1:7001/app',
    ]);
    await expect(open(env).tryLogin(socket)).rejects.toMatchObject({
      code: 'PRODGUARD_GCP_PROXY_NOT_STARTED',
    });
  });
});

describe('sqlProxy.binary', () => {
  it('a relative path is taken from the project root', () => {
    const config = { ...configWith({ binary: './cloud-sql-proxy' }), root: dir };
    const d = decideSqlProxy(config, 'production', { PATH: '/nowhere' });
    expect(d.start && d.launch.binary).toBe(bin);
  });
});
