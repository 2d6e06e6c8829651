import { describe, expect, it } from 'vitest';
import { completeRevisionEnv, planRevisionEnv } from './plan-revision-env.js';

const base = {
  environment: 'staging',
  revision: 'staging-00001-abc',
  commit: 'c0ffee',
  digest: 'sha256:d1',
  port: 4101,
  url: 'http://127.0.0.1:40000',
  inherited: { PATH: '/usr/bin' },
  specEnv: {},
  secrets: {},
};

describe('planRevisionEnv', () => {
  it('maps config into the variables an app wants (DB_HOST instead of DATABASE_URL)', () => {
    const plan = planRevisionEnv({
      ...base,
      appEnv: { DB_HOST: '{database.host}', DB_NAME: '{database.name}', APP_ENV: '{environment}', LOG: 'x' },
      platformEnv: { LOG: 'debug', FEATURE: 'on' },
      databaseUrl: 'postgresql://app@db.internal:6543/resumes',
      specEnv: { FEATURE: 'off' },
    });
    expect(plan.env).toEqual({
      PATH: '/usr/bin',
      LOG: 'x',
      FEATURE: 'off',
      DB_HOST: 'db.internal',
      DB_NAME: 'resumes',
      APP_ENV: 'staging',
      HOST: '127.0.0.1',
      PRODGUARD_ENVIRONMENT: 'staging',
      PRODGUARD_REVISION: 'staging-00001-abc',
      PRODGUARD_RELEASE_DIGEST: 'sha256:d1',
    });
    expect(plan.deferred).toEqual({});
  });

  it('renders secret templates only at start, from the pinned values', () => {
    const secrets = { DB_PASSWORD: { version: 3, envVar: 'DB_PASSWORD' } };
    const plan = planRevisionEnv({
      ...base,
      appEnv: { DATABASE_URL: 'postgresql://app:{secret.DB_PASSWORD}@{database.host}/app' },
      platformEnv: {},
      databaseUrl: 'postgresql://app@db/app',
      secrets,
    });
    expect(plan.env.DATABASE_URL).toBeUndefined();
    expect(completeRevisionEnv(plan, secrets, { DB_PASSWORD: 's3cr3t-value' })).toEqual({
      DB_PASSWORD: 's3cr3t-value',
      DATABASE_URL: 'postgresql://app:s3cr3t-value@db/app',
    });
  });

  it('refuses a template that needs a secret the revision does not pin', () => {
    expect(() =>
      planRevisionEnv({ ...base, appEnv: { PW: '{secret.DB_PASSWORD}' }, platformEnv: {} }),
    ).toThrowError('app.env uses secrets this revision does not pin: PW needs {secret.DB_PASSWORD}.');
  });
});

describe('a connection-URL secret read as separate parts', () => {
  const secrets = { DATABASE_URL: { version: 3, envVar: 'DATABASE_URL' } };
  const appEnv = {
    DB_HOST: '{secret.DATABASE_URL.host}',
    DB_PORT: '{secret.DATABASE_URL.port}',
    DB_NAME: '{secret.DATABASE_URL.database}',
    DB_USER: '{secret.DATABASE_URL.user}',
    DB_PASSWORD: '{secret.DATABASE_URL.password}',
  };

  it('renders user, password, host, port and database from the pinned version, decoded', () => {
    const plan = planRevisionEnv({ ...base, appEnv, platformEnv: {}, secrets });
    expect(plan.deferred).toEqual(appEnv);
    const env = completeRevisionEnv(plan, secrets, {
      DATABASE_URL: 'postgresql://app_b:s3cr%2Ft%40pw@db.internal:6543/resumes',
    });
    expect(env).toMatchObject({
      DB_HOST: 'db.internal',
      DB_PORT: '6543',
      DB_NAME: 'resumes',
      DB_USER: 'app_b',
      DB_PASSWORD: 's3cr/t@pw',
    });
  });

  it('refuses a part that does not exist, and a part of a secret that is not a URL', () => {
    expect(() =>
      planRevisionEnv({ ...base, appEnv: { X: '{secret.DATABASE_URL.pass}' }, platformEnv: {}, secrets }),
    ).toThrow(expect.objectContaining({ code: 'PRODGUARD_PLATFORM_ENV_TEMPLATE' }));
    const plan = planRevisionEnv({ ...base, appEnv, platformEnv: {}, secrets });
    let message = '';
    try {
      completeRevisionEnv(plan, secrets, { DATABASE_URL: 'bare-password-value' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('DB_PASSWORD needs {secret.DATABASE_URL.password}');
    expect(message).not.toContain('bare-password-value');
  });
});
