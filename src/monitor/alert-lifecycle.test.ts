import { describe, expect, it } from 'vitest';
import { type AlertRecord, stepAlert } from './alert-lifecycle.js';
import type { ConditionStatus, RuleVerdict } from './evaluate-rules.js';

const verdict = (status: ConditionStatus, forMs: number, keepFiringForMs: number): RuleVerdict => ({
  rule: 'error-ratio',
  environment: 'production',
  severity: 'page',
  labels: {},
  status,
  threshold: 0.05,
  summary: status,
  forMs,
  keepFiringForMs,
});

/** Runs a sequence of (time, condition) evaluations and returns the state and transition after each. */
function run(steps: [number, ConditionStatus][], forMs: number, keepFiringForMs: number) {
  let prev: AlertRecord | undefined;
  return steps.map(([at, status]) => {
    const { next, transition } = stepAlert(prev, verdict(status, forMs, keepFiringForMs), at);
    prev = next;
    return `${next.state}${transition ? `(${transition.kind})` : ''}`;
  });
}

describe('stepAlert', () => {
  it.each([
    {
      name: 'pending for `for`, then firing, then resolved',
      steps: [
        [0, 'breach'],
        [30, 'breach'],
        [60, 'breach'],
        [90, 'ok'],
      ] as [number, ConditionStatus][],
      forMs: 60,
      keep: 0,
      expected: ['pending(pending)', 'pending', 'firing(firing)', 'inactive(resolved)'],
    },
    {
      name: 'a blip shorter than `for` never fires',
      steps: [
        [0, 'breach'],
        [30, 'ok'],
        [60, 'breach'],
      ] as [number, ConditionStatus][],
      forMs: 60,
      keep: 0,
      expected: ['pending(pending)', 'inactive(cleared)', 'pending(pending)'],
    },
    {
      name: 'without `for` it fires on the first breach',
      steps: [[0, 'breach']] as [number, ConditionStatus][],
      forMs: 0,
      keep: 0,
      expected: ['firing(firing)'],
    },
    {
      name: 'keep_firing_for rides over a flap',
      steps: [
        [0, 'breach'],
        [10, 'ok'],
        [20, 'breach'],
        [30, 'ok'],
        [50, 'ok'],
        [80, 'ok'],
      ] as [number, ConditionStatus][],
      forMs: 0,
      keep: 40,
      expected: ['firing(firing)', 'firing', 'firing', 'firing', 'firing', 'inactive(resolved)'],
    },
    {
      name: 'no data is not a breach',
      steps: [
        [0, 'no-data'],
        [10, 'no-data'],
      ] as [number, ConditionStatus][],
      forMs: 0,
      keep: 0,
      expected: ['inactive', 'inactive'],
    },
  ])('$name', ({ steps, forMs, keep, expected }) => {
    expect(run(steps, forMs, keep)).toEqual(expected);
  });
});
