import type { Config } from '../config/index.js';
import { planFreezes, planWeekdayFreeze, readManualFreezes } from '../freeze/index.js';
import type { RuleCheck } from '../rules/rule-engine.js';
import type { StateStore } from '../store/state-store.js';
import type { RotationRuleContext } from './rotation-rules.js';

type FreezeConfig = Pick<Config, 'timezone' | 'freeze'>;

/** `no-friday-deploys` and `deploy-freeze` for rotations: a rotation rolls the service like a deploy does. */
export function rotationFreezeChecks(
  config: FreezeConfig,
  store: StateStore,
): RuleCheck<RotationRuleContext>[] {
  return [
    {
      ruleId: 'no-friday-deploys',
      run: async ({ at }) => {
        const finding = planWeekdayFreeze(at, config.timezone, config.freeze.weekdays);
        if (!finding) return { status: 'pass', message: `not a no-deploy day in ${config.timezone}` };
        return { status: 'fail', message: finding.reason, details: { ...finding } };
      },
    },
    {
      ruleId: 'deploy-freeze',
      run: async ({ at, environment }) => {
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
          details: { freezes: findings },
        };
      },
    },
  ];
}
