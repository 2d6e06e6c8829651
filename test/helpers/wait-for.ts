import { setTimeout as delay } from 'node:timers/promises';

export interface WaitForOptions {
  /** Give up (and fail the test) after this long. Default 10 s. */
  timeoutMs?: number;
  /** How often the condition is checked again. Default 20 ms. */
  intervalMs?: number;
}

/**
 * Waits for an event the test cannot subscribe to (a row appears, a process state changes, a port answers)
 * by checking `check` until it returns a value other than `undefined` or `false`, and returns that value.
 * Fails with `what` named after the deadline: a wait never passes silently.
 *
 * @example
 * const pid = await waitFor('the lock holder', () => readHolder()?.pid);
 */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  options: WaitForOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(options.intervalMs ?? 20);
  }
}

/**
 * Resolves once the wall clock has passed `at`: for a deadline a child process computed from its own clock
 * and reported (a grace period's end), which the test cannot move.
 */
export async function untilPast(at: Date, options: { timeoutMs?: number } = {}): Promise<void> {
  const wait = at.getTime() - Date.now();
  const limit = options.timeoutMs ?? 10_000;
  if (wait > limit) throw new Error(`${at.toISOString()} is more than ${limit} ms away`);
  // One millisecond past it: the product compares "due <= now".
  if (wait >= 0) await delay(wait + 1);
}
