import { describe, expect, it } from 'vitest';
import { ManualClock } from '../kernel/clock.js';
import { evaluateRules, planRules, type RuleCheck } from './rule-engine.js';

const config = {
  environments: {
    local: { protected: false },
    staging: { protected: true },
    production: { protected: false, requires: 'staging', branch: 'main' },
  },
  rules: {},
} as const;

const failing = (ruleId: string): RuleCheck<null> => ({
  ruleId,
  run: async () => ({ status: 'fail', message: `${ruleId} failed` }),
});

describe('planRules', () => {
  it('scopes rules: final-environment rules only on production, protected ones on staging too', () => {
    const applies = (env: string) =>
      planRules(config, 'deploy', env)
        .filter((p) => !p.skipReason)
        .map((p) => p.rule.id);
    expect(applies('production')).toContain('no-friday-deploys');
    expect(applies('staging')).not.toContain('no-friday-deploys');
    expect(applies('staging')).toContain('tests-pass');
    expect(applies('local')).toEqual(['deploy-freeze', 'no-open-incident']);
  });

  it('lets prodguard.yaml change severity and scope', () => {
    const custom = {
      ...config,
      rules: {
        'no-friday-deploys': { severity: 'warn' as const, environments: ['staging'] },
        'tests-pass': { severity: 'off' as const },
      },
    };
    const staging = planRules(custom, 'deploy', 'staging');
    expect(staging.find((p) => p.rule.id === 'no-friday-deploys')).toMatchObject({ severity: 'warn' });
    expect(staging.find((p) => p.rule.id === 'tests-pass')?.skipReason).toContain('turned off');
  });
});

describe('evaluateRules', () => {
  const clock = new ManualClock();
  it('blocks on a failing block rule, downgrades warn rules, and records overrides with their reason', async () => {
    const base = {
      config: { ...config, rules: { 'secrets-rotation-due': { severity: 'warn' as const } } },
      action: 'deploy' as const,
      environment: 'production',
      context: null,
      clock,
      only: ['clean-tree', 'secrets-rotation-due', 'right-branch'],
    };
    const checks = [
      failing('clean-tree'),
      failing('secrets-rotation-due'),
      { ruleId: 'right-branch', run: async () => ({ status: 'pass' as const, message: 'on main' }) },
    ];
    const blocked = await evaluateRules({ ...base, checks });
    expect(blocked.ok).toBe(false);
    expect(blocked.verdicts.map((v) => [v.id, v.status])).toEqual([
      ['clean-tree', 'fail'],
      ['right-branch', 'pass'],
      ['secrets-rotation-due', 'warn'],
    ]);
    const overridden = await evaluateRules({
      ...base,
      checks,
      overrides: [{ ruleId: 'clean-tree', reason: 'hotfix for INC-9' }],
    });
    expect(overridden.ok).toBe(true);
    expect(overridden.overridden[0]).toMatchObject({
      id: 'clean-tree',
      status: 'overridden',
      overrideReason: 'hotfix for INC-9',
    });
  });

  it('turns a check that throws into a failure that says why, and rejects unknown overrides', async () => {
    const throwing: RuleCheck<null> = {
      ruleId: 'clean-tree',
      run: async () => Promise.reject(new Error('git exploded')),
    };
    const result = await evaluateRules({
      config,
      action: 'deploy',
      environment: 'production',
      context: null,
      clock,
      checks: [throwing],
      only: ['clean-tree'],
    });
    expect(result.blocking[0]?.message).toBe('could not be checked: git exploded');
    await expect(
      evaluateRules({
        config,
        action: 'deploy',
        environment: 'production',
        context: null,
        clock,
        checks: [],
        overrides: [{ ruleId: 'no-such-rule', reason: 'because' }],
      }),
    ).rejects.toMatchObject({ code: 'PRODGUARD_RULE_UNKNOWN' });
  });
});
