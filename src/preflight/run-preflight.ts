import type { AuditLog } from '../audit/index.js';
import { assertEnvironment, type Config } from '../config/index.js';
import type { Clock } from '../kernel/clock.js';
import type { Logger } from '../kernel/logger.js';
import type { ProcessRunner } from '../kernel/process-runner.js';
import {
  evaluateRules,
  type RuleAction,
  type RuleCheck,
  type RuleOverride,
  type Verdict,
} from '../rules/index.js';
import type { StateStore } from '../store/index.js';
import { PREFLIGHT_CHECKS } from './preflight-checks.js';
import { createPreflightContext, type PreflightContext } from './preflight-context.js';

export interface PreflightDeps {
  config: Config;
  store: StateStore;
  audit: AuditLog;
  clock: Clock;
  processes: ProcessRunner;
  log: Logger;
  env: NodeJS.ProcessEnv;
  logsDir: string;
  actor: () => Promise<string>;
}

export interface PreflightOptions {
  environment: string;
  /** Ask "could I deploy at that time?" instead of now. */
  at?: Date;
  note?: string;
  overrides?: readonly RuleOverride[];
  /** The action the checklist guards; `deploy` by default. */
  action?: RuleAction;
  /** Extra checks from other domains (e.g. secrets rotation due). */
  extraChecks?: readonly RuleCheck<PreflightContext>[];
}

export interface PreflightCheckResult {
  id: string;
  title: string;
  status: Verdict['status'];
  severity: Verdict['severity'];
  message: string;
  hint?: string;
  durationMs: number;
  why: string;
  details?: Record<string, unknown>;
  overrideReason?: string;
}

export interface PreflightResult {
  env: string;
  ok: boolean;
  at: string;
  durationMs: number;
  checks: PreflightCheckResult[];
}

/** The pre-deployment checklist: every applicable check in parallel, one verdict each. */
export async function runPreflight(deps: PreflightDeps, options: PreflightOptions): Promise<PreflightResult> {
  assertEnvironment(deps.config, options.environment);
  const started = deps.clock.nowMs();
  const context = createPreflightContext({
    ...deps,
    environment: options.environment,
    ...(options.at ? { at: options.at } : {}),
    ...(options.note !== undefined ? { note: options.note } : {}),
  });
  const checks = [...PREFLIGHT_CHECKS, ...(options.extraChecks ?? [])];
  const evaluation = await evaluateRules({
    config: deps.config,
    action: options.action ?? 'deploy',
    environment: options.environment,
    checks,
    context,
    overrides: options.overrides ?? [],
    clock: deps.clock,
    only: checks.map((c) => c.ruleId),
  });
  const order = new Map(checks.map((c, i) => [c.ruleId, i]));
  const results = evaluation.verdicts
    .sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0))
    .map(
      (v): PreflightCheckResult => ({
        id: v.id,
        title: v.title,
        status: v.status,
        severity: v.severity,
        message: v.message,
        ...(v.hint !== undefined ? { hint: v.hint } : {}),
        durationMs: v.durationMs,
        why: v.why,
        ...(v.details ? { details: v.details } : {}),
        ...(v.overrideReason ? { overrideReason: v.overrideReason } : {}),
      }),
    );
  for (const overridden of evaluation.overridden) {
    deps.audit.append({
      actor: await deps.actor(),
      environment: options.environment,
      action: 'rule.override',
      target: overridden.id,
      reason: overridden.overrideReason,
      outcome: 'overridden',
      details: { rule: overridden.id, for: options.action ?? 'deploy', finding: overridden.message },
    });
  }
  return {
    env: options.environment,
    ok: evaluation.ok,
    at: context.at.toISOString(),
    durationMs: deps.clock.nowMs() - started,
    checks: results,
  };
}
