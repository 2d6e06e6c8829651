import type { Config } from '../config/index.js';
import type { CheckOutcome, RuleCheck } from '../rules/index.js';
import type { StateStore } from '../store/index.js';
import { planFreezes, planWeekdayFreeze } from './freeze-calendar.js';
import { readManualFreezes } from './freeze-store.js';

type FreezeConfig = Pick<Config, 'timezone' | 'freeze'>;

/** Golden rule 8 at one instant: is it a no-deploy weekday in the configured zone? */
export function checkWeekdayFreeze(config: FreezeConfig, at: Date): CheckOutcome {
  const finding = planWeekdayFreeze(at, config.timezone, config.freeze.weekdays);
  if (!finding) return { status: 'pass', message: `not a no-deploy day in ${config.timezone}` };
  return {
    status: 'fail',
    message: finding.reason,
    hint: 'Deploy another day; if it is critical: --override no-friday-deploys --reason "<why>".',
    details: { ...finding },
  };
}

/** Freeze windows from prodguard.yaml and `prodguard freeze on` freezes covering the environment at one instant. */
export function checkFreezes(
  config: FreezeConfig,
  store: StateStore,
  environment: string,
  at: Date,
): CheckOutcome {
  const findings = planFreezes({
    at,
    environment,
    timezone: config.timezone,
    windows: config.freeze.windows,
    manual: readManualFreezes(store),
  });
  if (findings.length === 0) return { status: 'pass', message: 'no freeze in effect' };
  return {
    status: 'fail',
    message: `frozen: ${findings.map((f) => f.reason).join('; ')}`,
    hint: 'Wait for the freeze to end, `prodguard freeze off` if it is over, or --override deploy-freeze --reason.',
    details: { freezes: findings },
  };
}

/** `no-friday-deploys` and `deploy-freeze` for any action that changes an environment (migrations, rotations). */
export function freezeRuleChecks(
  config: FreezeConfig,
  store: StateStore,
): RuleCheck<{ environment: string; at: Date }>[] {
  return [
    { ruleId: 'no-friday-deploys', run: async ({ at }) => checkWeekdayFreeze(config, at) },
    {
      ruleId: 'deploy-freeze',
      run: async ({ environment, at }) => checkFreezes(config, store, environment, at),
    },
  ];
}

/** The same checks for rule contexts that carry no time of their own: they judge the clock's now. */
export function freezeRuleChecksNow(
  config: FreezeConfig,
  store: StateStore,
  clock: { now(): Date },
): RuleCheck<{ environment: string }>[] {
  return freezeRuleChecks(config, store).map((check) => ({
    ruleId: check.ruleId,
    run: (ctx) => check.run({ environment: ctx.environment, at: clock.now() }),
  }));
}
