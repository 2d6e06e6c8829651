import { describe, expect, it } from 'vitest';
import {
  ENVIRONMENT_GID_BASE,
  ENVIRONMENT_GID_SPAN,
  environmentGid,
  PER_ENVIRONMENT_USER,
  resolveRevisionUser,
} from './revision-user.js';

const PASSWD = `root:x:0:0:root:/root:/bin/bash
# a comment
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
app:x:1001:1001::/home/app:/bin/sh
`;

describe('resolveRevisionUser', () => {
  it('as root, defaults to a uid per environment and takes app.runAs by name or uid', () => {
    expect(resolveRevisionUser({ runAs: undefined, uid: 0, passwd: PASSWD })).toEqual({
      name: 'per-environment',
      switched: true,
      perEnvironment: true,
    });
    // No account is needed for it: not even nobody.
    expect(resolveRevisionUser({ runAs: undefined, uid: 0, passwd: 'root:x:0:0::/root:/bin/sh\n' })).toBe(
      PER_ENVIRONMENT_USER,
    );
    expect(resolveRevisionUser({ runAs: 'app', uid: 0, passwd: PASSWD })).toMatchObject({ uid: 1001 });
    expect(resolveRevisionUser({ runAs: '1001', uid: 0, passwd: PASSWD })).toMatchObject({ name: 'app' });
    expect(resolveRevisionUser({ runAs: '4242', uid: 0, passwd: PASSWD })).toEqual({
      name: 'uid 4242',
      uid: 4242,
      switched: true,
    });
  });

  it('refuses an unknown user and root itself: revisions never fall back to root', () => {
    expect(() => resolveRevisionUser({ runAs: 'ghost', uid: 0, passwd: PASSWD })).toThrow(
      expect.objectContaining({
        code: 'PRODGUARD_PLATFORM_RUN_AS_UNKNOWN',
        message:
          'Revisions run as "ghost" when prodguard runs as root (app.runAs), but /etc/passwd has no such user.',
        hint: expect.stringContaining('useradd --system --no-create-home --shell /usr/sbin/nologin ghost'),
      }),
    );
    for (const runAs of ['root', '0']) {
      expect(() => resolveRevisionUser({ runAs, uid: 0, passwd: PASSWD })).toThrow(
        expect.objectContaining({ code: 'PRODGUARD_PLATFORM_RUN_AS_ROOT' }),
      );
    }
  });

  it('not root: revisions run as prodguard itself, whatever app.runAs says', () => {
    expect(resolveRevisionUser({ runAs: 'nobody', uid: 1001, passwd: PASSWD })).toEqual({
      name: 'app',
      uid: 1001,
      switched: false,
    });
    expect(resolveRevisionUser({ runAs: 'ghost', uid: 2000, passwd: PASSWD })).toEqual({
      name: 'uid 2000',
      uid: 2000,
      switched: false,
    });
  });
});

describe('environmentGid', () => {
  it('is stable per project and environment, distinct between them, in the reserved range', () => {
    const staging = environmentGid('/srv/app', 'staging', '');
    expect(environmentGid('/srv/app', 'staging', '')).toBe(staging);
    expect(environmentGid('/srv/app', 'production', '')).not.toBe(staging);
    expect(environmentGid('/srv/other', 'staging', '')).not.toBe(staging);
    expect(staging).toBeGreaterThanOrEqual(ENVIRONMENT_GID_BASE);
    expect(staging).toBeLessThan(ENVIRONMENT_GID_BASE + ENVIRONMENT_GID_SPAN);
  });

  it('skips an id that /etc/passwd names, so an environment never runs as a real user', () => {
    const first = environmentGid('/srv/app', 'staging', '');
    expect(environmentGid('/srv/app', 'staging', '', `svc:x:${first}:${first}::/:/bin/false\n`)).not.toBe(
      first,
    );
  });

  it('skips an id that /etc/group names, so a revision never gains a real group', () => {
    const first = environmentGid('/srv/app', 'staging', '');
    const groups = `shadow:x:${first}:\nother:x:${first + 1}:\n`;
    expect(environmentGid('/srv/app', 'staging', groups)).toBe(
      first + 2 >= ENVIRONMENT_GID_BASE + ENVIRONMENT_GID_SPAN ? ENVIRONMENT_GID_BASE : first + 2,
    );
  });
});
