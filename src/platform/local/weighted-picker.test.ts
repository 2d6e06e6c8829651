import { describe, expect, it } from 'vitest';
import { WeightedPicker } from './weighted-picker.js';

describe('WeightedPicker', () => {
  it('splits exactly by weight over one cycle, interleaved', () => {
    const picker = new WeightedPicker([
      { value: 'a', weight: 90 },
      { value: 'b', weight: 10 },
    ]);
    const picks = Array.from({ length: 100 }, () => picker.pick());
    expect(picks.filter((p) => p === 'a')).toHaveLength(90);
    expect(picks.filter((p) => p === 'b')).toHaveLength(10);
    // smooth: never more than 10 a's in a row
    expect(picks.join('')).not.toMatch(/a{11}/);
  });

  it('skips ineligible values and ignores zero weights', () => {
    const picker = new WeightedPicker([
      { value: 'a', weight: 50 },
      { value: 'b', weight: 50 },
      { value: 'c', weight: 0 },
    ]);
    expect(picker.size).toBe(2);
    expect(Array.from({ length: 4 }, () => picker.pick((v) => v !== 'a'))).toEqual(['b', 'b', 'b', 'b']);
    expect(picker.pick(() => false)).toBeUndefined();
  });
});
