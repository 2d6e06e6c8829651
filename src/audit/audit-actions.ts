import { ProdguardError } from '../kernel/errors.js';

/**
 * Every action the audit trail records, in one naming scheme: `<domain>.<verb>` (the pipeline's own
 * operations `deploy`, `rollback` and `run` are verbs on their own). What happened is the action; how it
 * ended is the event's `outcome` (`started` for the intent written before acting). A rule forced with
 * `--override` is one action, `rule.override`, whose target is the rule id.
 *
 * docs/audit.md lists these; a test fails when the two differ.
 */
export const AUDIT_ACTIONS = [
  'deploy',
  'rollback',
  'run',
  'maintenance.on',
  'maintenance.off',
  'rule.override',
  'platform.up',
  'platform.down',
  'lock.break',
  'freeze.on',
  'freeze.off',
  'db.backup',
  'db.restore',
  'db.drift',
  'migrate.deploy',
  'migrate.rollback',
  'migrate.resolve',
  'migrate.verify-rollback',
  'sql.session',
  'secrets.add',
  'secrets.pin',
  'secrets.enable',
  'secrets.disable',
  'secrets.get',
  'secrets.destroy',
  'secrets.purge',
  'secrets.rotate',
  'secrets.rotate-master-key',
  'secrets.setup-roles',
  'silence.create',
  'silence.expire',
  'incident.open',
  'incident.note',
  'incident.status',
  'incident.resolve',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** What each action means, for docs/audit.md (kept here so the list and its description cannot drift). */
export const AUDIT_ACTION_DESCRIPTIONS: Readonly<Record<AuditAction, string>> = Object.freeze({
  deploy:
    'a release deployed to an environment (the pipeline: revision, health, smoke tests, traffic, watch)',
  rollback: 'traffic moved back to a known-good revision',
  run: "`prodguard run`: the team's own deploy command, run behind the checklist and the environment lock",
  'maintenance.on': 'an environment put in maintenance (503 with Retry-After)',
  'maintenance.off': 'an environment taken out of maintenance',
  'rule.override': 'a golden rule forced with --override and a reason; target is the rule id',
  'platform.up': 'the local platform agent started',
  'platform.down': 'the local platform agent stopped (by `prodguard down`, a signal, or on its own)',
  'lock.break': 'an environment lock removed by hand',
  'freeze.on': 'deploys frozen on one environment or all',
  'freeze.off': 'a manual freeze lifted',
  'db.backup': 'a pg_dump backup taken and read back',
  'db.restore': 'a backup restored into a scratch database',
  'db.drift': 'a schema drift check run',
  'migrate.deploy': 'pending migrations applied to an environment',
  'migrate.rollback': "a migration's rollback script applied",
  'migrate.resolve': 'a migration marked applied or rolled back by hand',
  'migrate.verify-rollback': 'a rollback script checked on a scratch database',
  'sql.session': 'SQL run through the guarded console on an environment',
  'secrets.add': 'a secret version added',
  'secrets.pin': 'a secret version pinned for an environment',
  'secrets.enable': 'a secret version enabled',
  'secrets.disable': 'a secret version disabled',
  'secrets.get': 'a secret value revealed (never the value itself)',
  'secrets.destroy': 'a secret version scheduled for destruction',
  'secrets.purge': 'a secret value erased after its grace period',
  'secrets.rotate': 'a secret rotated (new version, pinned, rolled out)',
  'secrets.rotate-master-key': 'the vault master key replaced and every value re-encrypted',
  'secrets.setup-roles': 'the rotating database roles created',
  'silence.create': 'alerts matching a set of matchers muted until an expiry, with a reason',
  'silence.expire': 'a silence ended before its expiry',
  'incident.open': 'an incident opened (by hand or by a firing alert): deploys frozen, snapshot taken',
  'incident.note': 'a note added to an incident timeline',
  'incident.status': 'an incident moved to investigating, mitigated or resolved',
  'incident.resolve': 'an incident resolved with its root cause; the postmortem written',
});

export function isAuditAction(value: string): value is AuditAction {
  return (AUDIT_ACTIONS as readonly string[]).includes(value);
}

/** For names built at run time: an unknown name is a bug, refused before anything is written. */
export function parseAuditAction(value: string): AuditAction {
  if (isAuditAction(value)) return value;
  throw new ProdguardError('PRODGUARD_AUDIT_ACTION_UNKNOWN', `"${value}" is not an audit action.`, {
    kind: 'internal',
    hint: `Audit actions are listed in src/audit/audit-actions.ts: ${AUDIT_ACTIONS.join(', ')}.`,
  });
}
