import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.js';

describe('durations', () => {
  it('parses the units prodguard.yaml uses', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('90d')).toBe(7_776_000_000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('10 minutes')).toBeUndefined();
    expect(parseDuration('-5m')).toBeUndefined();
  });
  it('formats back to the largest exact unit', () => {
    expect(formatDuration(600_000)).toBe('10m');
    expect(formatDuration(1234)).toBe('1.2s');
    expect(formatDuration(95_000)).toBe('95s');
    expect(formatDuration(95_500)).toBe('1m36s');
    expect(formatDuration(42)).toBe('42ms');
  });
});
