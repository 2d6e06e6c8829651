import type { RuleCheck } from '../../rules/index.js';
import type { PreflightContext } from '../preflight-context.js';

/** Seed §7's rotation schedule in the checklist: the vault's own check, opened only when it holds secrets. */
export const secretsRotationDueCheck: RuleCheck<PreflightContext> = {
  ruleId: 'secrets-rotation-due',
  async run(ctx) {
    const secrets = await import('../../secrets/index.js');
    // An empty vault needs no key: do not create one as a side effect of a read-only checklist.
    if (secrets.storedMasterKeyId(ctx.store) === undefined)
      return { status: 'pass', message: 'no secrets in the vault' };
    const { vault } = secrets.openSecretVault({
      store: ctx.store,
      clock: ctx.clock,
      env: ctx.env,
      stateDir: ctx.config.stateDirPath,
    });
    const check = secrets.secretsRotationDueCheck({
      vault,
      pins: new secrets.SecretPins(ctx.store, ctx.clock),
      clock: ctx.clock,
      config: ctx.config,
      store: ctx.store,
    });
    return check.run({ environment: ctx.environment });
  },
};
