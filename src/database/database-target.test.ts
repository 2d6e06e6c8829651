import { describe, expect, it } from 'vitest';
import { isStrictConsole } from './database-target.js';

describe('isStrictConsole', () => {
  const environments = {
    local: {},
    staging: { protected: true },
    production: { requires: 'staging' },
  } as never;
  it('is strict on the final environment whatever the rule settings, and wherever the rule is widened to', () => {
    const off = { environments, rules: { 'no-direct-production-changes': { severity: 'off' as const } } };
    expect(isStrictConsole(off, 'production', true)).toBe(true);
    expect(isStrictConsole(off, 'staging', false)).toBe(false);
    const widened = {
      environments,
      rules: { 'no-direct-production-changes': { environments: ['staging', 'production'] } },
    };
    expect(isStrictConsole(widened, 'staging', false)).toBe(true);
    expect(isStrictConsole(widened, 'local', false)).toBe(false);
  });
});
