import { type AuditLog, type AuditOutcome, parseAuditAction } from '../audit/index.js';
import type { Breach } from './analyze-sample.js';
import type { DeployEventMap, DeployEvents } from './deploy-events.js';

const OUTCOME: Record<DeployEventMap['operation:finished']['outcome'], AuditOutcome> = {
  success: 'success',
  refused: 'refused',
  'rolled-back': 'rolled-back',
  // An abort restores the traffic the operation found: for the trail, that is a rollback.
  aborted: 'rolled-back',
  failed: 'failed',
};

/**
 * The audit log's subscription to pipeline events: starts, overrides (with their reasons), and every
 * outcome with its breaches. Core code emits events; only this listener writes the trail.
 */
export function attachDeployAudit(
  events: DeployEvents,
  audit: Pick<AuditLog, 'append'>,
  actor: string,
): () => void {
  const commits = new Map<string, string>();
  const breaches = new Map<string, { revision: string; breaches: Breach[] }>();
  const offs = [
    events.on('deploy:rules', (e) => {
      for (const v of e.verdicts.filter((x) => x.status === 'overridden')) {
        audit.append({
          actor,
          environment: e.environment,
          action: 'rule.override',
          target: v.id,
          reason: v.overrideReason,
          outcome: 'overridden',
          details: { message: v.message },
        });
      }
    }),
    events.on('deploy:plan', (e) => {
      commits.set(e.operationId, e.commit);
      audit.append({
        actor,
        environment: e.environment,
        action: 'deploy',
        target: e.commit,
        outcome: 'started',
        details: { operationId: e.operationId, strategy: e.strategy, steps: e.steps, watchMs: e.watchMs },
      });
    }),
    events.on('deploy:breach', (e) =>
      breaches.set(e.operationId, { revision: e.revision, breaches: e.breaches }),
    ),
    events.on('operation:finished', (e) => {
      const breach = breaches.get(e.operationId);
      audit.append({
        actor,
        environment: e.environment,
        action: parseAuditAction(e.action ?? e.kind),
        target: e.target ?? breach?.revision ?? commits.get(e.operationId),
        reason: e.reason,
        outcome: OUTCOME[e.outcome],
        details: {
          ...(e.operationId ? { operationId: e.operationId } : {}),
          message: e.message,
          elapsedMs: e.elapsedMs,
          ...(breach ? { breaches: breach.breaches } : {}),
        },
      });
    }),
  ];
  return () => {
    for (const off of offs) off();
  };
}
