import { describe, expect, it } from 'vitest';
import { normalQuantile, wilsonLowerBound } from './error-rate-bound.js';

describe('normalQuantile', () => {
  it('matches the normal table', () => {
    expect(normalQuantile(0.95)).toBeCloseTo(1.645, 2);
    expect(normalQuantile(0.999)).toBeCloseTo(3.09, 2);
    expect(normalQuantile(0.8413)).toBeCloseTo(1, 2);
  });
  it('refuses confidences outside (0.5, 1)', () => {
    expect(() => normalQuantile(1)).toThrow(RangeError);
    expect(() => normalQuantile(0.5)).toThrow(RangeError);
  });
});

describe('wilsonLowerBound', () => {
  it('is 0 without data and below the raw ratio with little data', () => {
    expect(wilsonLowerBound(0, 0, 0.95)).toBe(0);
    expect(wilsonLowerBound(2, 20, 0.95)).toBeLessThan(0.05);
    expect(wilsonLowerBound(2, 20, 0.95)).toBeGreaterThan(0);
  });
  it('approaches the raw ratio as requests grow', () => {
    expect(wilsonLowerBound(500, 1000, 0.999)).toBeCloseTo(0.451, 2);
    expect(wilsonLowerBound(50, 100, 0.999)).toBeCloseTo(0.35, 1);
  });
  it('separates noise at 1 % from a 50 % failure at 20 requests', () => {
    expect(wilsonLowerBound(10, 20, 0.999)).toBeGreaterThan(0.05);
    expect(wilsonLowerBound(1, 20, 0.95)).toBeLessThan(0.05);
  });
});
