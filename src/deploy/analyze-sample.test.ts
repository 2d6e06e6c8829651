import { describe, expect, it } from 'vitest';
import {
  type AnalysisSample,
  advanceAnalysis,
  judgeSample,
  type SampleVerdict,
  startAnalysis,
} from './analyze-sample.js';

const t = {
  errorRate: 0.05,
  latencyP95Ms: 2000,
  minRequests: 20,
  maxRestarts: 0,
  windowMs: 30_000,
  confidence: 0.95,
  decisiveConfidence: 0.999,
};
const sample = (over: Partial<AnalysisSample>): AnalysisSample => ({
  at: 0,
  requests: 100,
  errorRate: 0,
  p95Ms: 50,
  restarts: 0,
  ready: true,
  ...over,
});

describe('judgeSample', () => {
  it('is healthy under the thresholds', () => {
    expect(judgeSample(sample({ errorRate: 0.05, p95Ms: 2000 }), t)).toEqual({ kind: 'healthy' });
  });
  it('names every metric over its threshold with value, threshold and window', () => {
    expect(judgeSample(sample({ errorRate: 0.5, p95Ms: 2500 }), t)).toEqual({
      kind: 'breach',
      breaches: [
        {
          metric: 'errorRate',
          value: 0.5,
          threshold: 0.05,
          windowMs: 30_000,
          lowerBound: 0.4188,
          decisive: true,
        },
        { metric: 'latencyP95', value: 2500, threshold: 2000, windowMs: 30_000 },
      ],
    });
  });
  it('does not take a few errors among few requests for a failing release', () => {
    // 2 of 20 is 10 %, yet consistent with 1 % background errors: no breach.
    expect(judgeSample(sample({ requests: 20, errorRate: 0.1 }), t)).toEqual({ kind: 'healthy' });
    // 7 % of 1000 is a breach at 95 %, but not decisive at 99.9 %: it needs K samples in a row.
    const v = judgeSample(sample({ requests: 1000, errorRate: 0.07 }), t);
    expect(v.kind === 'breach' && v.breaches[0]).toMatchObject({ metric: 'errorRate', value: 0.07 });
    expect(v.kind === 'breach' && v.breaches[0]?.decisive).toBeUndefined();
  });
  it('calls half of 20 requests failing decisive, and a median over the p95 threshold too', () => {
    const errors = judgeSample(sample({ requests: 20, errorRate: 0.5 }), t);
    expect(errors.kind === 'breach' && errors.breaches[0]?.decisive).toBe(true);
    const slow = judgeSample(sample({ p50Ms: 2500, p95Ms: 4000 }), t);
    expect(slow.kind === 'breach' && slow.breaches[0]).toMatchObject({
      metric: 'latencyP95',
      decisive: true,
    });
  });
  it('says "insufficient data" below the minimum request count instead of guessing', () => {
    expect(judgeSample(sample({ requests: 19, errorRate: 1 }), t)).toEqual({
      kind: 'insufficient',
      requests: 19,
      minRequests: 20,
    });
  });
  it('counts crashes and readiness whatever the traffic', () => {
    const v = judgeSample(sample({ requests: 0, restarts: 1, ready: false }), t);
    expect(v.kind).toBe('breach');
    expect(v.kind === 'breach' && v.breaches.map((b) => b.metric)).toEqual(['readiness', 'crashes']);
  });
});

const breach: SampleVerdict = {
  kind: 'breach',
  breaches: [{ metric: 'errorRate', value: 0.5, threshold: 0.05, windowMs: 30_000 }],
};
const healthy: SampleVerdict = { kind: 'healthy' };
const insufficient: SampleVerdict = { kind: 'insufficient', requests: 0, minRequests: 20 };
const s = { consecutiveBreaches: 3, holdTimeoutMs: 10_000 };

describe('advanceAnalysis', () => {
  it('trips after K consecutive breaches, not before', () => {
    let state = startAnalysis(0);
    const decisions: string[] = [];
    for (const [i, v] of [breach, breach, breach].entries()) {
      const r = advanceAnalysis(state, v, (i + 1) * 1000, s, 60_000);
      state = r.state;
      decisions.push(r.decision.kind);
    }
    expect(decisions).toEqual(['continue', 'continue', 'fail']);
  });
  it('trips at once on a decisive breach', () => {
    const decisive: SampleVerdict = {
      kind: 'breach',
      breaches: [{ metric: 'errorRate', value: 0.5, threshold: 0.05, windowMs: 10_000, decisive: true }],
    };
    const r = advanceAnalysis(startAnalysis(0), decisive, 1000, s, 60_000);
    expect(r.decision).toEqual({ kind: 'fail', reason: 'breach', breaches: decisive.breaches });
  });
  it('resets the streak on a healthy sample', () => {
    let state = startAnalysis(0);
    for (const [i, v] of [breach, breach, healthy, breach, breach].entries()) {
      const r = advanceAnalysis(state, v, (i + 1) * 1000, s, 60_000);
      state = r.state;
      expect(r.decision.kind).toBe('continue');
    }
    expect(state.consecutiveBreaches).toBe(2);
  });
  it('passes once the duration is over and the latest sample is healthy', () => {
    const r1 = advanceAnalysis(startAnalysis(0), breach, 60_000, s, 60_000);
    expect(r1.decision.kind).toBe('continue');
    expect(advanceAnalysis(r1.state, healthy, 61_000, s, 60_000).decision.kind).toBe('pass');
  });
  it('holds on insufficient data and fails only when the hold times out', () => {
    let state = startAnalysis(0);
    const r1 = advanceAnalysis(state, insufficient, 5000, s, 1000);
    expect(r1.decision).toEqual({ kind: 'hold', heldMs: 0 });
    state = r1.state;
    const r2 = advanceAnalysis(state, insufficient, 14_000, s, 1000);
    expect(r2.decision).toEqual({ kind: 'hold', heldMs: 9000 });
    const r3 = advanceAnalysis(r2.state, insufficient, 15_000, s, 1000);
    expect(r3.decision).toEqual({ kind: 'fail', reason: 'insufficient-data', heldMs: 10_000 });
  });
  it('a hold that gets enough data ends with the real verdict', () => {
    const r1 = advanceAnalysis(startAnalysis(0), insufficient, 5000, s, 1000);
    const r2 = advanceAnalysis(r1.state, healthy, 6000, s, 1000);
    expect(r2.decision.kind).toBe('pass');
    expect(r2.state.holdStartedAt).toBeUndefined();
  });
});
