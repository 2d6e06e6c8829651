import { describe, expect, it } from 'vitest';
import { jsonLineLog, redactingLog } from './runtime-log.js';

describe('runtime logs never carry a credential', () => {
  it('jsonLineLog masks URL passwords, password fields and known secret values', () => {
    const lines: string[] = [];
    const log = jsonLineLog({ write: (l) => lines.push(l), knownSecrets: () => ['rotated-Secret-42'] });
    log.error('connect to postgresql://app:hunter2-long@db:5432/app failed', {
      password: 'p@ss-word-1',
      detail: 'the value rotated-Secret-42 was refused',
      port: 5432,
    });
    const text = lines.join('');
    expect(text).not.toContain('hunter2-long');
    expect(text).not.toContain('p@ss-word-1');
    expect(text).not.toContain('rotated-Secret-42');
    expect(JSON.parse(text)).toEqual({
      level: 'error',
      msg: 'connect to postgresql://app:[redacted]@db:5432/app failed',
      password: '[redacted]',
      detail: 'the value [redacted] was refused',
      port: 5432,
    });
  });

  it('redactingLog scrubs before handing lines to the application’s logger', () => {
    const seen: unknown[] = [];
    const inner = {
      info: (m: string, f?: Record<string, unknown>) => seen.push([m, f]),
      warn: (m: string, f?: Record<string, unknown>) => seen.push([m, f]),
      error: (m: string, f?: Record<string, unknown>) => seen.push([m, f]),
    };
    redactingLog(inner, () => ['very-secret-value']).warn('got very-secret-value', { DB_PASSWORD: 'x' });
    expect(seen).toEqual([['got [redacted]', { DB_PASSWORD: '[redacted]' }]]);
  });
});
