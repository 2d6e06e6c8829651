import type { Config } from '../config/index.js';
import type { Clock } from '../kernel/clock.js';
import { UsageError } from '../kernel/errors.js';
import { findRule, GOLDEN_RULES } from './golden-rules.js';
import { isInScope, type RuleAction, type RuleDefinition, type RuleSeverity } from './rule.js';

/** What one check found. `warn` means "passed, but look at this". */
export interface CheckOutcome {
  status: 'pass' | 'fail' | 'warn' | 'skipped';
  message: string;
  hint?: string;
  details?: Record<string, unknown>;
}

/** The code behind a rule; domains register checks for the rules they own. */
export interface RuleCheck<Ctx> {
  readonly ruleId: string;
  run(ctx: Ctx): Promise<CheckOutcome>;
}

export type VerdictStatus = 'pass' | 'fail' | 'warn' | 'skipped' | 'overridden';

export interface Verdict {
  id: string;
  title: string;
  status: VerdictStatus;
  severity: RuleSeverity;
  message: string;
  hint?: string;
  why: string;
  durationMs: number;
  details?: Record<string, unknown>;
  overrideReason?: string;
}

export interface RuleOverride {
  ruleId: string;
  reason: string;
}

export interface RuleEvaluation {
  action: RuleAction;
  environment: string;
  /** False when any verdict is `fail` (a blocking rule failed and was not overridden). */
  ok: boolean;
  verdicts: Verdict[];
  blocking: Verdict[];
  overridden: Verdict[];
}

export interface PlannedRule {
  rule: RuleDefinition;
  severity: RuleSeverity;
  /** Why it will not run, when it will not. */
  skipReason?: string;
}

/** Pure: which rules apply to this action on this environment, at which severity. */
export function planRules(
  config: Pick<Config, 'environments' | 'rules'>,
  action: RuleAction,
  environment: string,
): PlannedRule[] {
  const planned: PlannedRule[] = [];
  for (const rule of GOLDEN_RULES) {
    if (!rule.actions.includes(action)) continue;
    const setting = config.rules[rule.id];
    const severity = setting?.severity ?? rule.severity;
    if (severity === 'off') {
      planned.push({ rule, severity: rule.severity, skipReason: 'turned off in prodguard.yaml (rules)' });
      continue;
    }
    const applies = setting?.environments
      ? setting.environments.includes(environment)
      : isInScope(rule.scope, environment, config);
    planned.push(
      applies ? { rule, severity } : { rule, severity, skipReason: `does not apply to ${environment}` },
    );
  }
  return planned;
}

export function validateOverrides(overrides: readonly RuleOverride[]): void {
  for (const override of overrides) {
    if (!findRule(override.ruleId)) {
      throw new UsageError(
        'PRODGUARD_RULE_UNKNOWN',
        `--override names an unknown rule "${override.ruleId}".`,
        {
          hint: `Run \`prodguard rules\` to list rule ids. Known: ${GOLDEN_RULES.map((r) => r.id).join(', ')}`,
        },
      );
    }
    if (override.reason.trim().length < 3) {
      throw new UsageError(
        'PRODGUARD_OVERRIDE_REASON_MISSING',
        `--override ${override.ruleId} needs a --reason that says why.`,
        {
          hint: 'Example: --override no-friday-deploys --reason "security fix for CVE-2026-1234"',
        },
      );
    }
  }
}

export interface EvaluateRulesOptions<Ctx> {
  config: Pick<Config, 'environments' | 'rules'>;
  action: RuleAction;
  environment: string;
  checks: readonly RuleCheck<Ctx>[];
  context: Ctx;
  overrides?: readonly RuleOverride[];
  clock: Pick<Clock, 'nowMs'>;
  /** Restrict to these rule ids (e.g. a command that only needs the freeze rules). */
  only?: readonly string[];
}

/** Runs every applicable check in parallel and turns outcomes into verdicts. */
export async function evaluateRules<Ctx>(options: EvaluateRulesOptions<Ctx>): Promise<RuleEvaluation> {
  const overrides = options.overrides ?? [];
  validateOverrides(overrides);
  const planned = planRules(options.config, options.action, options.environment).filter(
    (p) => !options.only || options.only.includes(p.rule.id),
  );
  const verdicts = await Promise.all(
    planned.map(async ({ rule, severity, skipReason }): Promise<Verdict> => {
      const base = { id: rule.id, title: rule.title, severity, why: rule.why };
      const check = options.checks.find((c) => c.ruleId === rule.id);
      if (skipReason || !check) {
        return {
          ...base,
          status: 'skipped',
          message: skipReason ?? 'not checked by this command',
          durationMs: 0,
        };
      }
      const started = options.clock.nowMs();
      let outcome: CheckOutcome;
      try {
        outcome = await check.run(options.context);
      } catch (error) {
        outcome = {
          status: 'fail',
          message: `could not be checked: ${error instanceof Error ? error.message : String(error)}`,
          hint:
            error instanceof Error && 'hint' in error && typeof error.hint === 'string'
              ? error.hint
              : rule.fix,
        };
      }
      const durationMs = Math.max(0, options.clock.nowMs() - started);
      const override = overrides.find((o) => o.ruleId === rule.id);
      let status: VerdictStatus = outcome.status;
      if (status === 'fail' && severity === 'warn') status = 'warn';
      if (status === 'fail' && override) status = 'overridden';
      return {
        ...base,
        status,
        message: outcome.message,
        ...(outcome.hint !== undefined || status === 'fail' ? { hint: outcome.hint ?? rule.fix } : {}),
        durationMs,
        ...(outcome.details ? { details: outcome.details } : {}),
        ...(status === 'overridden' ? { overrideReason: override!.reason } : {}),
      };
    }),
  );
  const blocking = verdicts.filter((v) => v.status === 'fail');
  return {
    action: options.action,
    environment: options.environment,
    ok: blocking.length === 0,
    verdicts,
    blocking,
    overridden: verdicts.filter((v) => v.status === 'overridden'),
  };
}
