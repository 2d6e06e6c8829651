import type { MonitorRuleSettings } from './monitor-settings.js';

/** The seed's thresholds, as normalizeMonitorSettings produces them from an empty `monitor:` section. */
export function seedRuleSettings(): MonitorRuleSettings {
  return {
    errorRatio: { threshold: 0.05, windowMs: 300_000, forMs: 60_000, keepFiringForMs: 120_000 },
    latencyP95: { thresholdMs: 2000, windowMs: 300_000, forMs: 60_000, keepFiringForMs: 120_000 },
    unavailable: { count: 5, windowMs: 300_000, forMs: 0, keepFiringForMs: 120_000 },
    healthDown: { forMs: 0, keepFiringForMs: 0 },
    databaseErrors: { count: 1, windowMs: 300_000, forMs: 0, keepFiringForMs: 120_000 },
    restarts: { count: 3, windowMs: 600_000, forMs: 0, keepFiringForMs: 0 },
    poolExhaustion: { forMs: 60_000, keepFiringForMs: 60_000 },
    slo: {
      target: 0.999,
      keepFiringForMs: 0,
      windows: [
        { longMs: 3_600_000, shortMs: 300_000, burnRate: 14.4, severity: 'page' },
        { longMs: 21_600_000, shortMs: 1_800_000, burnRate: 6, severity: 'page' },
        { longMs: 259_200_000, shortMs: 21_600_000, burnRate: 1, severity: 'ticket' },
      ],
    },
  };
}
