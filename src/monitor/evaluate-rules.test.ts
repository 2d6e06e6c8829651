import { describe, expect, it } from 'vitest';
import { ROUTER_LATENCY_LE } from './environment-sample.js';
import { evaluateRules, type ProbeStatus } from './evaluate-rules.js';
import type { WindowStats } from './metric-series.js';
import { seedRuleSettings } from './test-fixtures.js';

const stats = (over: Partial<WindowStats> = {}): WindowStats => ({
  windowMs: 0,
  coveredMs: 1e12,
  requests: 0,
  errors: 0,
  unavailable: 0,
  restarts: 0,
  dbConnectFailures: 0,
  latency: ROUTER_LATENCY_LE.map(() => 0),
  ...over,
});

function verdict(rule: string, window: (ms: number) => WindowStats, probes: ProbeStatus[] = []) {
  return evaluateRules({
    environment: 'production',
    window,
    latest: undefined,
    probes,
    rules: seedRuleSettings(),
  }).find((v) => v.rule === rule);
}

describe('evaluateRules', () => {
  it.each([
    { name: 'no requests is no data, not 0 %', w: stats(), status: 'no-data', value: undefined },
    { name: '5 of 100 is not above 5 %', w: stats({ requests: 100, errors: 5 }), status: 'ok', value: 0.05 },
    { name: '6 of 100 breaches', w: stats({ requests: 100, errors: 6 }), status: 'breach', value: 0.06 },
    // An absolute 5xx count would page here (50 errors); the ratio is 0.5 %.
    {
      name: 'divides by all requests',
      w: stats({ requests: 10_000, errors: 50 }),
      status: 'ok',
      value: 0.005,
    },
  ])('error ratio: $name', ({ w, status, value }) => {
    const v = verdict('error-ratio', () => w)!;
    expect(v.status).toBe(status);
    expect(v.value).toBe(value);
  });

  it.each([
    { name: 'all fast', le1: 100, total: 100, status: 'ok' },
    { name: '10 % above 2 s', le1: 90, total: 100, status: 'breach' },
    { name: 'no data', le1: 0, total: 0, status: 'no-data' },
  ])('p95: $name', ({ le1, total, status }) => {
    const latency = ROUTER_LATENCY_LE.map((le) => (le <= 1 ? le1 : le <= 2 ? le1 : total));
    expect(verdict('latency-p95', () => stats({ requests: total, latency }))!.status).toBe(status);
  });

  it.each([
    { unavailable: 4, status: 'ok' },
    { unavailable: 5, status: 'breach' },
  ])('503s: $unavailable in 300 s → $status', ({ unavailable, status }) => {
    expect(verdict('unavailable-503', () => stats({ unavailable }))!.status).toBe(status);
  });

  it('health: one verdict per probe, DOWN breaches, database probes are database-down', () => {
    const probes: ProbeStatus[] = [
      { name: 'health', kind: 'http', state: 'down', error: 'HTTP 503' },
      { name: 'db', kind: 'database', state: 'up' },
      { name: 'tcp', kind: 'tcp', state: 'pending' },
    ];
    const all = evaluateRules({
      environment: 'production',
      window: () => stats(),
      latest: undefined,
      probes,
      rules: seedRuleSettings(),
    }).filter((v) => v.rule.endsWith('-down'));
    expect(all.map((v) => [v.rule, v.labels.probe, v.status])).toEqual([
      ['health-down', 'health', 'breach'],
      ['database-down', 'db', 'ok'],
      ['health-down', 'tcp', 'ok'],
    ]);
  });

  it('restarts per 10 min and pool exhaustion per revision', () => {
    const v = evaluateRules({
      environment: 'production',
      window: (ms) => stats({ restarts: ms === 600_000 ? 3 : 0 }),
      latest: {
        at: 0,
        environment: 'production',
        requests: {},
        errors: {},
        unavailable: {},
        restarts: {},
        dbConnectFailures: {},
        latency: {},
        pools: [
          { revision: 'p-1', connections: 10, max: 10, waiting: 7 },
          { revision: 'p-2', connections: 10, max: 10, waiting: 0 },
        ],
      },
      probes: [],
      rules: seedRuleSettings(),
    });
    expect(v.find((x) => x.rule === 'revision-restarts')!.status).toBe('breach');
    expect(v.filter((x) => x.rule === 'pool-exhaustion').map((x) => [x.labels.revision, x.status])).toEqual([
      ['p-1', 'breach'],
      ['p-2', 'ok'],
    ]);
    expect(v.find((x) => x.rule === 'database-connection-errors')!.status).toBe('ok');
  });

  // SRE workbook table 5-8 at a 99.9 % SLO: page at 14.4× over 1 h AND 5 min.
  it.each([
    { name: 'both windows burn 20×', long: 0.02, short: 0.02, status: 'breach' },
    { name: 'long burns, short recovered', long: 0.02, short: 0.001, status: 'ok' },
    { name: 'short spike only', long: 0.005, short: 0.5, status: 'ok' },
    { name: 'exactly 14.4×', long: 0.0144, short: 0.0144, status: 'breach' },
  ])('burn rate 1 h / 5 min: $name', ({ long, short, status }) => {
    const window = (ms: number) =>
      ms === 3_600_000
        ? stats({ requests: 100_000, errors: Math.round(long * 100_000) })
        : stats({ requests: 10_000, errors: Math.round(short * 10_000) });
    const v = verdict('slo-burn-1h', window)!;
    expect(v.status).toBe(status);
    expect(v.severity).toBe('page');
  });

  it('a burn pair has no data until its short window is covered', () => {
    const v = verdict('slo-burn-1h', () => stats({ requests: 100, errors: 50, coveredMs: 120_000 }))!;
    expect(v.status).toBe('no-data');
    expect(v.summary).toBe('not enough history yet (5m needed)');
  });

  it('the 3-day burn is a ticket, and no data without requests', () => {
    const v = verdict('slo-burn-3d', () => stats())!;
    expect(v.severity).toBe('ticket');
    expect(v.status).toBe('no-data');
  });
});
