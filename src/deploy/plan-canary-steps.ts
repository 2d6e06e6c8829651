import { UsageError } from '../kernel/errors.js';

export type DeployStrategy = 'all-at-once' | 'canary';

/**
 * The traffic percentages a deploy moves through. All-at-once is a single step to 100.
 * Canary steps must rise strictly and end at 100, so every step is analysed at more traffic than the last.
 *
 * @example planCanarySteps('canary', [10, 50]) // → [10, 50, 100]
 */
export function planCanarySteps(strategy: DeployStrategy, steps: readonly number[]): number[] {
  if (strategy === 'all-at-once') return [100];
  const plan = [...steps];
  if (plan.length === 0 || plan[plan.length - 1] !== 100) plan.push(100);
  for (const [i, percent] of plan.entries()) {
    if (!Number.isInteger(percent) || percent < 1 || percent > 100) {
      throw new UsageError(
        'PRODGUARD_DEPLOY_STEPS_INVALID',
        `Canary step "${percent}" is not a whole percent.`,
        {
          hint: 'Steps are whole numbers from 1 to 100, ascending, e.g. --steps 10,50,100.',
        },
      );
    }
    if (i > 0 && percent <= plan[i - 1]!) {
      throw new UsageError(
        'PRODGUARD_DEPLOY_STEPS_INVALID',
        `Canary steps must rise: ${plan.join(',')} has ${percent} after ${plan[i - 1]}.`,
        { hint: 'Write them ascending, e.g. --steps 10,50,100.' },
      );
    }
  }
  return plan;
}

/** `10,50,100` → [10, 50, 100]. */
export function parseSteps(text: string): number[] {
  const parts = text.split(',').map((p) => p.trim());
  const numbers = parts.map((p) => Number(p));
  if (parts.some((p) => p === '') || numbers.some((n) => !Number.isFinite(n))) {
    throw new UsageError(
      'PRODGUARD_DEPLOY_STEPS_INVALID',
      `--steps "${text}" is not a list of percentages.`,
      {
        hint: 'Example: --steps 10,50,100',
      },
    );
  }
  return numbers;
}

/** The traffic split for a canary step: the new revision gets `percent`, the stable one the rest. */
export function planStepTraffic(
  newRevision: string,
  stableRevision: string | undefined,
  percent: number,
): { revision: string; percent: number }[] {
  if (!stableRevision || percent >= 100) return [{ revision: newRevision, percent: 100 }];
  return [
    { revision: stableRevision, percent: 100 - percent },
    { revision: newRevision, percent },
  ];
}
