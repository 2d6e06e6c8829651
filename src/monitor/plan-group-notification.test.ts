import { describe, expect, it } from 'vitest';
import type { AlertRecord } from './alert-lifecycle.js';
import { emptyGroupState, type GroupState, planGroupNotification } from './plan-group-notification.js';

const grouping = { groupWaitMs: 30, groupIntervalMs: 300, repeatIntervalMs: 3600 };

const alert = (rule: string, state: 'firing' | 'inactive', firingSince = 0): AlertRecord => ({
  fingerprint: `${rule}{env=production}`,
  rule,
  environment: 'production',
  severity: 'page',
  labels: { alertname: rule, env: 'production', severity: 'page' },
  state,
  condition: state === 'firing' ? 'breach' : 'ok',
  activeSince: null,
  firingSince,
  lastBreachAt: null,
  resolvedAt: null,
  value: null,
  threshold: 0,
  summary: rule,
  updatedAt: 0,
});

/** Feeds (time, alerts, muted?) through the planner and lists what was sent. */
function simulate(timeline: [number, AlertRecord[], boolean?][]) {
  let group: GroupState = emptyGroupState('production');
  const sent: string[] = [];
  for (const [at, alerts, muted] of timeline) {
    const out = planGroupNotification({ group, alerts, isMuted: () => muted ?? false, nowMs: at, grouping });
    group = out.group;
    if (out.notification) {
      const n = out.notification;
      sent.push(
        `${at}:${n.reason} firing=[${n.firing.map((a) => a.rule).join(',')}] resolved=[${n.resolved.map((a) => a.rule).join(',')}]`,
      );
    }
  }
  return sent;
}

describe('planGroupNotification', () => {
  it('one outage is one notification: alerts in group_wait are sent together', () => {
    expect(
      simulate([
        [0, [alert('health-down', 'firing')]],
        [10, [alert('health-down', 'firing'), alert('error-ratio', 'firing', 10)]],
        [30, [alert('health-down', 'firing'), alert('error-ratio', 'firing', 10)]],
        [60, [alert('health-down', 'firing'), alert('error-ratio', 'firing', 10)]],
      ]),
    ).toEqual(['30:new firing=[health-down,error-ratio] resolved=[]']);
  });

  it('changes wait for group_interval; repeats after repeat_interval; resolve is sent', () => {
    const a = alert('health-down', 'firing');
    const b = alert('error-ratio', 'firing', 100);
    expect(
      simulate([
        [0, [a]],
        [30, [a]],
        [100, [a, b]],
        [330, [a, b]],
        [3930, [a, b]],
        [4000, [alert('health-down', 'inactive'), alert('error-ratio', 'inactive', 100)]],
        [4230, [alert('health-down', 'inactive'), alert('error-ratio', 'inactive', 100)]],
        [9000, [alert('health-down', 'inactive'), alert('error-ratio', 'inactive', 100)]],
      ]),
    ).toEqual([
      '30:new firing=[health-down] resolved=[]',
      '330:changed firing=[health-down,error-ratio] resolved=[]',
      '3930:repeat firing=[health-down,error-ratio] resolved=[]',
      '4230:changed firing=[] resolved=[health-down,error-ratio]',
    ]);
  });

  it('an alert firing before a maintenance window does not page again when the window ends', () => {
    const a = alert('health-down', 'firing');
    expect(
      simulate([
        [0, [a]],
        [30, [a]],
        [100, [a], true], // maintenance starts
        [1000, [a], true],
        [2000, [a]], // window ended, still down: already announced
        [2500, [a]],
      ]),
    ).toEqual(['30:new firing=[health-down] resolved=[]']);
  });

  it('an alert that resolved during maintenance gets its resolve notice after it', () => {
    const a = alert('health-down', 'firing');
    const resolved = alert('health-down', 'inactive');
    expect(
      simulate([
        [0, [a]],
        [30, [a]],
        [100, [resolved], true],
        [2000, [resolved]],
      ]),
    ).toEqual(['30:new firing=[health-down] resolved=[]', '2000:changed firing=[] resolved=[health-down]']);
  });

  it('alerts raised and cleared entirely under a silence are never sent', () => {
    expect(
      simulate([
        [0, [alert('health-down', 'firing')], true],
        [100, [alert('health-down', 'firing')], true],
        [200, [alert('health-down', 'inactive')], true],
        [400, [alert('health-down', 'inactive')]],
      ]),
    ).toEqual([]);
  });
});
