import type { RuleVerdict } from './evaluate-rules.js';
import type { AlertSeverity } from './monitor-settings.js';

export interface PeriodicCheckOptions {
  rule: string;
  environment: string;
  severity: AlertSeverity;
  intervalMs: number;
  /** The check itself (e.g. `db drift`): breach with a summary naming what was found. */
  check: () => Promise<{ breach: boolean; summary: string; value?: number }>;
  keepFiringForMs?: number;
}

/**
 * Turns a slow check into a monitor signal: it runs in the background every intervalMs, and each tick sees
 * its last result (no data until the first one, and a failed run is no data with the reason, not "ok").
 */
export function createPeriodicCheck(
  options: PeriodicCheckOptions,
): (environment: string, nowMs: number) => Promise<RuleVerdict[]> {
  let last: Omit<
    RuleVerdict,
    'rule' | 'environment' | 'severity' | 'labels' | 'threshold' | 'forMs' | 'keepFiringForMs'
  > = {
    status: 'no-data',
    summary: 'not checked yet',
  };
  let nextAt = Number.NEGATIVE_INFINITY;
  let running: Promise<void> | undefined;
  return async (environment, nowMs) => {
    if (environment !== options.environment) return [];
    if (!running && nowMs >= nextAt) {
      nextAt = nowMs + options.intervalMs;
      running = options
        .check()
        .then(
          (r) => {
            last = {
              status: r.breach ? 'breach' : 'ok',
              summary: r.summary,
              ...(r.value !== undefined ? { value: r.value } : {}),
            };
          },
          (error: unknown) => {
            last = {
              status: 'no-data',
              summary: `check failed: ${error instanceof Error ? error.message : String(error)}`,
            };
          },
        )
        .finally(() => {
          running = undefined;
        });
    }
    return [
      {
        rule: options.rule,
        environment,
        severity: options.severity,
        labels: {},
        threshold: 1,
        forMs: 0,
        keepFiringForMs: options.keepFiringForMs ?? 0,
        ...last,
      },
    ];
  };
}
