import type { Config } from '../config/index.js';
import { freezeRuleChecks } from '../freeze/index.js';
import type { RuleCheck } from '../rules/rule-engine.js';
import type { StateStore } from '../store/state-store.js';
import type { RotationRuleContext } from './rotation-rules.js';

/** `no-friday-deploys` and `deploy-freeze` for rotations: a rotation rolls the service like a deploy does. */
export function rotationFreezeChecks(
  config: Pick<Config, 'timezone' | 'freeze'>,
  store: StateStore,
): RuleCheck<RotationRuleContext>[] {
  return freezeRuleChecks(config, store);
}
