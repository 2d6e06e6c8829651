import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { poolOptionsFromEnv } from './pool-options-from-env.js';

describe('poolOptionsFromEnv', () => {
  it('takes DATABASE_URL as is', () => {
    expect(poolOptionsFromEnv({ DATABASE_URL: 'postgresql://app@db/app' })).toEqual({
      connectionString: 'postgresql://app@db/app',
    });
  });

  it('takes the DB_* variables and the pool settings', () => {
    expect(
      poolOptionsFromEnv({
        DB_HOST: 'db',
        DB_PORT: '6543',
        DB_USER: 'app',
        DB_NAME: 'cv',
        DB_PASSWORD: 's3cret-value',
        DB_POOL_MAX: '20',
        DB_CONNECT_TIMEOUT_MS: '5000',
        DB_STATEMENT_TIMEOUT_MS: '15000',
        DB_MAX_LIFETIME_SECONDS: '0',
      }),
    ).toEqual({
      host: 'db',
      port: 6543,
      user: 'app',
      database: 'cv',
      password: 's3cret-value',
      max: 20,
      connectionTimeoutMillis: 5000,
      statementTimeoutMillis: 15000,
      maxLifetimeSeconds: 0,
    });
  });

  it('prefers DB_PASSWORD_FILE and re-reads it on every call', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pg-env-'));
    try {
      const file = join(dir, 'pw');
      writeFileSync(file, 'first\n');
      const options = poolOptionsFromEnv({ DB_HOST: 'db', DB_PASSWORD: 'ignored', DB_PASSWORD_FILE: file });
      expect(typeof options.password).toBe('function');
      const read = options.password as () => Promise<string>;
      expect(await read()).toBe('first');
      writeFileSync(file, 'second');
      expect(await read()).toBe('second');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the variable and the expected value when a setting is wrong', () => {
    expect(() => poolOptionsFromEnv({})).toThrow(/No database configured: set DATABASE_URL/);
    expect(() => poolOptionsFromEnv({ DB_HOST: 'db', DB_PORT: 'abc' })).toThrow(
      'DB_PORT must be a positive integer, got "abc"',
    );
    expect(() => poolOptionsFromEnv({ DATABASE_URL: 'postgresql://x', DB_POOL_MAX: '0' })).toThrow(
      'DB_POOL_MAX must be a positive integer, got "0"',
    );
  });
});
