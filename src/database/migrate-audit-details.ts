import type { RuleEvaluation, RuleOverride } from '../rules/index.js';
import type { BackupRecord } from './database-records.js';

/** What a migrate deploy's audit event says of its rules, overrides and backup; both migration paths write it. */
export function migrateAuditDetails(input: {
  evaluation: Pick<RuleEvaluation, 'verdicts'> | undefined;
  overrides?: readonly RuleOverride[] | undefined;
  backup?: BackupRecord | undefined;
}): Record<string, unknown> {
  return {
    verdicts: input.evaluation?.verdicts.map((v) => ({ id: v.id, status: v.status })) ?? [],
    ...(input.backup ? { backup: { id: input.backup.id, sha256: input.backup.sha256 } } : {}),
    ...(input.overrides?.length
      ? { overrides: input.overrides.map((o) => ({ rule: o.ruleId, reason: o.reason })) }
      : {}),
  };
}
