import { describe, expect, it } from 'vitest';
import { isProdguardError } from '../kernel/errors.js';
import { assertEnvironment } from './assert-environment.js';

const config = { environmentOrder: ['local', 'staging', 'production'], file: '/repo/prodguard.yaml' };

describe('assertEnvironment', () => {
  it('accepts a configured environment', () => {
    expect(() => assertEnvironment(config, 'staging')).not.toThrow();
  });

  it('names the unknown environment, the file and every known one, as a usage error', () => {
    let caught: unknown;
    try {
      assertEnvironment(config, 'prod');
    } catch (error) {
      caught = error;
    }
    expect(isProdguardError(caught)).toBe(true);
    if (!isProdguardError(caught)) return;
    expect(caught.code).toBe('PRODGUARD_CONFIG_UNKNOWN_ENVIRONMENT');
    expect(caught.exitCode).toBe(2);
    expect(caught.message).toBe('Unknown environment "prod" (in /repo/prodguard.yaml).');
    expect(caught.hint).toContain('Expected one of: local, staging, production.');
  });

  it('does not take an inherited object key for an environment', () => {
    expect(() => assertEnvironment(config, 'constructor')).toThrow(/Unknown environment "constructor"/);
  });
});
