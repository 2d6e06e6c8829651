import { describe, expect, it } from 'vitest';
import { differentRuntime, runtimeCheckName } from './runtime-fingerprint.js';

describe('runtimeCheckName', () => {
  const app = { start: 'node server.mjs', healthPath: '/health', env: { A: '1', B: '{environment}' } };

  it('is the same for the same runtime, whatever the order of app.env', () => {
    expect(runtimeCheckName(app)).toMatch(/^runtime:[0-9a-f]{12}$/);
    expect(runtimeCheckName({ ...app, env: { B: '{environment}', A: '1' } })).toBe(runtimeCheckName(app));
  });

  it('changes with the start command, the build, the health path or any app.env entry', () => {
    const base = runtimeCheckName(app);
    for (const other of [
      { ...app, start: 'node server.mjs --inspect' },
      { ...app, build: 'npm ci' },
      { ...app, healthPath: '/healthz' },
      { ...app, env: { ...app.env, DEBUG: '1' } },
      { ...app, env: { A: '2', B: '{environment}' } },
    ]) {
      expect(runtimeCheckName(other)).not.toBe(base);
    }
  });
});

describe('differentRuntime', () => {
  it('names the recorded runtime when it differs, and takes a verification without one as it is', () => {
    expect(differentRuntime(['smoke', 'runtime:aaaaaaaaaaaa'], 'runtime:bbbbbbbbbbbb')).toBe(
      'runtime:aaaaaaaaaaaa',
    );
    expect(differentRuntime(['smoke', 'runtime:aaaaaaaaaaaa'], 'runtime:aaaaaaaaaaaa')).toBeUndefined();
    expect(differentRuntime(['smoke', 'watch'], 'runtime:aaaaaaaaaaaa')).toBeUndefined();
  });
});
