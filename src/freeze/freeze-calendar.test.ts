import { describe, expect, it } from 'vitest';
import { planFreezes, planWeekdayFreeze } from './freeze-calendar.js';

describe('weekday freeze', () => {
  it('uses the configured zone: the same instant is Friday in Auckland and Thursday in Chicago', () => {
    const at = new Date('2026-12-03T20:00:00Z');
    expect(planWeekdayFreeze(at, 'Pacific/Auckland', ['friday'])?.reason).toBe(
      'Friday is a no-deploy day (Fri 2026-12-04 09:00 GMT+13)',
    );
    expect(planWeekdayFreeze(at, 'America/Chicago', ['friday'])).toBeUndefined();
  });

  it('is DST-correct around the US spring-forward on Sunday 2026-03-08', () => {
    // Friday 23:30 CST (UTC-6) vs Saturday 00:30 CST; then a Friday after the change, in CDT (UTC-5).
    expect(
      planWeekdayFreeze(new Date('2026-03-07T05:30:00Z'), 'America/Chicago', ['friday'])?.reason,
    ).toContain('Fri 2026-03-06 23:30 CST');
    expect(
      planWeekdayFreeze(new Date('2026-03-07T06:30:00Z'), 'America/Chicago', ['friday']),
    ).toBeUndefined();
    expect(
      planWeekdayFreeze(new Date('2026-03-14T04:30:00Z'), 'America/Chicago', ['friday'])?.reason,
    ).toContain('Fri 2026-03-13 23:30 CDT');
    expect(
      planWeekdayFreeze(new Date('2026-03-14T05:30:00Z'), 'America/Chicago', ['friday']),
    ).toBeUndefined();
  });

  it('ends a weekday freeze at local midnight, also on a DST night', () => {
    const finding = planWeekdayFreeze(new Date('2026-10-23T12:00:00Z'), 'Europe/Berlin', [
      'saturday',
      'friday',
    ]);
    expect(finding?.endsAt).toBe('2026-10-23T22:00:00.000Z');
    // Saturday 2026-10-24 → Sunday 00:00 CEST; the clocks fall back later that night.
    expect(planWeekdayFreeze(new Date('2026-10-24T12:00:00Z'), 'Europe/Berlin', ['saturday'])?.endsAt).toBe(
      '2026-10-24T22:00:00.000Z',
    );
  });
});

describe('freeze windows', () => {
  const windows = [
    { from: '2026-03-08T01:00', to: '2026-03-08T04:00', reason: 'DB upgrade', environments: ['production'] },
  ];

  it('reads bounds without an offset in the configured zone, across a DST change', () => {
    // 01:00 CST = 07:00Z; 04:00 CDT = 09:00Z (02:00–03:00 does not exist that night).
    const inside = planFreezes({
      at: new Date('2026-03-08T08:59:00Z'),
      environment: 'production',
      timezone: 'America/Chicago',
      windows,
      manual: [],
    });
    expect(inside).toHaveLength(1);
    expect(inside[0]?.endsAt).toBe('2026-03-08T09:00:00.000Z');
    expect(
      planFreezes({
        at: new Date('2026-03-08T09:00:00Z'),
        environment: 'production',
        timezone: 'America/Chicago',
        windows,
        manual: [],
      }),
    ).toHaveLength(0);
    expect(
      planFreezes({
        at: new Date('2026-03-08T06:59:00Z'),
        environment: 'production',
        timezone: 'America/Chicago',
        windows,
        manual: [],
      }),
    ).toHaveLength(0);
  });

  it('gives different instants for the same wall-clock window in two zones', () => {
    const at = new Date('2026-03-08T02:30:00Z');
    expect(
      planFreezes({ at, environment: 'production', timezone: 'Europe/Berlin', windows, manual: [] }),
    ).toHaveLength(1);
    expect(
      planFreezes({ at, environment: 'production', timezone: 'America/Chicago', windows, manual: [] }),
    ).toHaveLength(0);
  });

  it('honours explicit offsets, environment lists, and manual freezes with an end', () => {
    const at = new Date('2026-05-01T12:00:00Z');
    const absolute = [
      { from: '2026-05-01T13:00:00+02:00', to: '2026-05-01T15:00:00+02:00', reason: 'launch' },
    ];
    expect(
      planFreezes({ at, environment: 'staging', timezone: 'Asia/Tokyo', windows: absolute, manual: [] }),
    ).toHaveLength(1);
    expect(planFreezes({ at, environment: 'staging', timezone: 'UTC', windows, manual: [] })).toHaveLength(0);
    const manual = [
      {
        id: 1,
        environment: null,
        reason: 'INC-7',
        actor: 'a',
        createdAt: '2026-05-01T11:00:00Z',
        until: '2026-05-01T12:00:00Z',
      },
    ];
    expect(planFreezes({ at, environment: 'production', timezone: 'UTC', windows: [], manual })).toHaveLength(
      0,
    );
    expect(
      planFreezes({
        at: new Date('2026-05-01T11:59:59Z'),
        environment: 'production',
        timezone: 'UTC',
        windows: [],
        manual,
      }),
    ).toHaveLength(1);
  });
});
