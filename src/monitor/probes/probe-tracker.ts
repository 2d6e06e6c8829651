import type { ProbeState } from '../evaluate-rules.js';

/** The consecutive-result bookkeeping behind one probe's state. */
export interface ProbeTracker {
  state: ProbeState;
  failures: number;
  successes: number;
}

export const initialProbeTracker: ProbeTracker = Object.freeze({
  state: 'unknown',
  failures: 0,
  successes: 0,
});

/**
 * Uptime Kuma's retry model plus the "up retries" its users asked for (#3031): a probe goes DOWN only after
 * `retries` further failures (PENDING meanwhile) and comes back UP only after `upRetries` successes in a row.
 */
export function stepProbeTracker(
  prev: ProbeTracker,
  ok: boolean,
  settings: { retries: number; upRetries: number },
): ProbeTracker {
  if (ok) {
    const successes = prev.successes + 1;
    const state: ProbeState =
      prev.state === 'down' ? (successes >= Math.max(1, settings.upRetries) ? 'up' : 'down') : 'up';
    return { state, failures: 0, successes };
  }
  const failures = prev.failures + 1;
  const state: ProbeState = prev.state === 'down' || failures > settings.retries ? 'down' : 'pending';
  return { state, failures, successes: 0 };
}
