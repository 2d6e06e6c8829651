import { describe, expect, it } from 'vitest';
import { planDestroy } from './destroy-secret-version.js';
import { planRotation } from './plan-rotation.js';
import { isAdminSecretName } from './rotation-rules.js';
import { planSecretStatus } from './secret-status.js';
import type { SecretVersionInfo } from './secret-vault.js';

function version(
  n: number,
  role: string | undefined,
  state: SecretVersionInfo['state'] = 'enabled',
  createdAt = '2026-01-01T00:00:00Z',
): SecretVersionInfo {
  return {
    name: 'DATABASE_URL',
    environment: 'staging',
    version: n,
    state,
    createdAt,
    createdBy: 'a@x',
    stateChangedAt: createdAt,
    metadata: role ? { role } : {},
  };
}

const members = ['app_a', 'app_b'] as const;
const pin = (v: number, previous?: number) => ({
  name: 'DATABASE_URL',
  environment: 'staging',
  version: v,
  ...(previous ? { previousVersion: previous } : {}),
  pinnedAt: '2026-01-01T00:00:00Z',
  pinnedBy: 'a@x',
});
const base = {
  name: 'DATABASE_URL',
  environment: 'staging',
  kind: 'postgres' as const,
  members,
  previousRetired: false,
  canRollout: true,
};

describe('planRotation', () => {
  it('alternating: the standby is the member the pinned version does not use', () => {
    const plan = planRotation({
      ...base,
      versions: [version(1, 'app_a')],
      pin: pin(1),
      runningVersions: [1],
    });
    expect(plan).toMatchObject({ strategy: 'alternating', fromVersion: 1, role: 'app_b', refusals: [] });
    const next = planRotation({
      ...base,
      versions: [version(1, 'app_a'), version(2, 'app_b')],
      pin: pin(2, 1),
      runningVersions: [2],
    });
    expect(next.role).toBe('app_a');
    expect(next.refusals).toEqual([]);
  });

  it('refuses rotation N+1 while a running revision still uses version N-1 (same role)', () => {
    const plan = planRotation({
      ...base,
      versions: [version(1, 'app_a'), version(2, 'app_b')],
      pin: pin(2, 1),
      runningVersions: [1, 2],
    });
    expect(plan.refusals).toEqual([
      "v1 (role app_a) is still used by a running revision in staging; rotating would overwrite that role's password. Roll out v2 first",
    ]);
  });

  it('without a platform, the previously pinned version counts as running until confirmed retired', () => {
    const input = {
      ...base,
      versions: [version(1, 'app_a'), version(2, 'app_b')],
      pin: pin(2, 1),
      runningVersions: undefined,
    };
    expect(planRotation(input).refusals[0]).toMatch(/v1 \(role app_a\) was pinned before v2/);
    expect(planRotation({ ...input, previousRetired: true }).refusals).toEqual([]);
  });

  it('single-user needs a deploy pipeline; external secrets are never generated', () => {
    const single = planRotation({
      ...base,
      requested: 'single-user',
      canRollout: false,
      versions: [version(1, 'app')],
      pin: pin(1),
      runningVersions: [],
    });
    expect(single.role).toBe('app');
    expect(single.refusals[0]).toMatch(/needs the deploy pipeline/);
    const external = planRotation({
      ...base,
      kind: 'external',
      versions: [version(1, undefined)],
      pin: pin(1),
      runningVersions: [],
    });
    expect(external.refusals[0]).toMatch(/external secret/);
  });
});

describe('planDestroy', () => {
  const versions = [1, 2, 3, 4, 5].map((n) => version(n, undefined));
  const input = { versions, pin: pin(5, 4), runningUsers: [], activeRotations: [], minEnabledVersions: 3 };

  it('allows an old unpinned version while 3 others stay enabled', () => {
    expect(planDestroy({ ...input, version: 1 })).toEqual({ allowed: true, refusals: [], warnings: [] });
  });

  it('lists every reason a destroy is refused', () => {
    const plan = planDestroy({
      ...input,
      versions: versions.slice(0, 3),
      pin: pin(3, 2),
      version: 2,
      runningUsers: [{ revision: 'staging-00004-abc', secretVersions: { DATABASE_URL: 2 } }],
    });
    expect(plan.allowed).toBe(false);
    expect(plan.refusals).toEqual([
      'it would leave 2 enabled versions; at least 3 must remain (seed §7: keep 3 versions minimum)',
      'it is the version a failed rollout in staging would re-pin',
      'running revision staging-00004-abc uses it',
    ]);
    expect(planDestroy({ ...input, version: 5 }).refusals).toContain('it is pinned in staging');
  });
});

describe('planSecretStatus', () => {
  const secret = {
    name: 'DATABASE_URL',
    environment: 'production',
    kind: 'postgres' as const,
    createdAt: '2026-01-01T00:00:00Z',
  };
  const config = {
    rotation: { postgres: 90 * 86_400_000, random: 180 * 86_400_000, external: 365 * 86_400_000 },
    wayOverdue: 30 * 86_400_000,
  };
  it.each([
    ['2026-03-01T00:00:00Z', 'ok'],
    ['2026-04-15T00:00:00Z', 'overdue'],
    ['2026-05-15T00:00:00Z', 'way-overdue'],
  ])('at %s the pinned version is %s', (now, state) => {
    const row = planSecretStatus({
      secret,
      versions: [version(1, 'app_a')],
      pin: pin(1),
      now: new Date(now),
      config,
    });
    expect(row.state).toBe(state);
    expect(row.nextDue).toBe('2026-04-01T00:00:00.000Z');
  });
});

describe('isAdminSecretName', () => {
  it('matches the configured pattern only', () => {
    const ctx = { config: { secrets: { adminSecret: '{name}_ADMIN' } } } as never;
    expect(
      ['DATABASE_URL_ADMIN', 'DATABASE_URL', '_ADMIN', 'JWT_SECRET'].map((n) => isAdminSecretName(ctx, n)),
    ).toEqual([true, false, false, false]);
  });
});
