import { describe, expect, it } from 'vitest';
import { artifactsDirOf, revisionsDirOf } from './load-config.js';

describe('revisionsDirOf', () => {
  it('sits beside the artifacts, never inside the 0700 state folder', () => {
    const env = { HOME: '/home/dev' };
    const artifacts = artifactsDirOf('/src/app', '/src/app/.prodguard', 'api', env);
    const revisions = revisionsDirOf('/src/app', '/src/app/.prodguard', 'api', env, false);
    expect(revisions).toBe(artifacts.replace(/artifacts$/, 'revisions'));
    expect(revisionsDirOf('/src/app', '/var/lib/app-state/', 'api', env, true)).toBe(
      '/var/lib/app-state-revisions',
    );
  });

  it('as root, defaults to /var/lib rather than /root, which the revisions user cannot enter', () => {
    expect(revisionsDirOf('/srv/app', '/srv/app/.prodguard', 'api', { HOME: '/root' }, true)).toMatch(
      /^\/var\/lib\/prodguard\/api-[0-9a-f]{12}\/revisions$/,
    );
    expect(
      revisionsDirOf('/srv/app', '/srv/app/.prodguard', 'api', { PRODGUARD_STATE_HOME: '/data' }, true),
    ).toMatch(/^\/data\/prodguard\/api-[0-9a-f]{12}\/revisions$/);
  });
});
