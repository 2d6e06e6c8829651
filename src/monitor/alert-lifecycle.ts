import type { ConditionStatus, RuleVerdict } from './evaluate-rules.js';
import type { AlertSeverity } from './monitor-settings.js';

export type AlertState = 'inactive' | 'pending' | 'firing';

/** An alert instance (rule × environment × extra labels), as Prometheus keeps it between evaluations. */
export interface AlertRecord {
  fingerprint: string;
  rule: string;
  environment: string;
  severity: AlertSeverity;
  /** alertname, env, severity and the rule's extra labels: what silences match. */
  labels: Record<string, string>;
  state: AlertState;
  condition: ConditionStatus;
  /** Start of the current pending/firing episode. */
  activeSince: number | null;
  firingSince: number | null;
  lastBreachAt: number | null;
  resolvedAt: number | null;
  value: number | null;
  threshold: number;
  summary: string;
  updatedAt: number;
}

export type AlertTransitionKind = 'pending' | 'firing' | 'resolved' | 'cleared';

export interface AlertTransition {
  fingerprint: string;
  rule: string;
  environment: string;
  kind: AlertTransitionKind;
  at: number;
  summary: string;
  value: number | null;
}

export function alertFingerprint(rule: string, environment: string, labels: Record<string, string>): string {
  const extra = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
  return `${rule}{env=${environment}${extra ? `,${extra}` : ''}}`;
}

/**
 * One evaluation step of the Alertmanager/Prometheus alert model:
 * inactive → pending (held `for`) → firing → resolved (after `keep_firing_for` without a breach).
 * A pending alert whose condition clears goes back to inactive without notifying ("cleared").
 */
export function stepAlert(
  prev: AlertRecord | undefined,
  verdict: RuleVerdict,
  nowMs: number,
): { next: AlertRecord; transition?: AlertTransition } {
  const fingerprint = alertFingerprint(verdict.rule, verdict.environment, verdict.labels);
  const base: AlertRecord = prev ?? {
    fingerprint,
    rule: verdict.rule,
    environment: verdict.environment,
    severity: verdict.severity,
    labels: {
      alertname: verdict.rule,
      env: verdict.environment,
      severity: verdict.severity,
      ...verdict.labels,
    },
    state: 'inactive',
    condition: verdict.status,
    activeSince: null,
    firingSince: null,
    lastBreachAt: null,
    resolvedAt: null,
    value: null,
    threshold: verdict.threshold,
    summary: verdict.summary,
    updatedAt: nowMs,
  };
  const next: AlertRecord = {
    ...base,
    condition: verdict.status,
    value: verdict.value ?? null,
    threshold: verdict.threshold,
    summary: verdict.summary,
    updatedAt: nowMs,
  };
  const transition = (kind: AlertTransitionKind): AlertTransition => ({
    fingerprint,
    rule: next.rule,
    environment: next.environment,
    kind,
    at: nowMs,
    summary: next.summary,
    value: next.value,
  });

  if (verdict.status === 'breach') {
    next.lastBreachAt = nowMs;
    if (base.state === 'inactive') {
      next.activeSince = nowMs;
      next.resolvedAt = null;
      if (verdict.forMs <= 0) {
        next.state = 'firing';
        next.firingSince = nowMs;
        return { next, transition: transition('firing') };
      }
      next.state = 'pending';
      return { next, transition: transition('pending') };
    }
    if (base.state === 'pending' && nowMs - (base.activeSince ?? nowMs) >= verdict.forMs) {
      next.state = 'firing';
      next.firingSince = nowMs;
      return { next, transition: transition('firing') };
    }
    return { next };
  }
  // No breach (ok or no data).
  if (base.state === 'pending') {
    next.state = 'inactive';
    next.activeSince = null;
    return { next, transition: transition('cleared') };
  }
  if (base.state === 'firing') {
    if (nowMs - (base.lastBreachAt ?? nowMs) < verdict.keepFiringForMs) return { next };
    next.state = 'inactive';
    next.resolvedAt = nowMs;
    next.activeSince = null;
    return { next, transition: transition('resolved') };
  }
  return { next };
}
