export interface RollbackDecision {
  rollback: boolean;
  reason: string;
  /** The serving revision the decision is about. */
  newest?: { revision: string; createdAt: string; ageMs: number };
}

/**
 * Seed §10 / PagerDuty: "if related to a recent deployment, roll back". Production only, and only when the
 * newest serving revision was deployed within the window; an older deploy is not presumed guilty.
 */
export function planIncidentRollback(input: {
  environment: string;
  productionEnvironments: readonly string[];
  serving: readonly { revision: string; createdAt: string }[];
  nowMs: number;
  windowMs: number;
}): RollbackDecision {
  if (!input.productionEnvironments.includes(input.environment)) {
    return { rollback: false, reason: `${input.environment} is not a production environment` };
  }
  const newest = [...input.serving].sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1))[0];
  if (!newest) return { rollback: false, reason: `no revision serves ${input.environment}` };
  const ageMs = input.nowMs - new Date(newest.createdAt).getTime();
  const facts = { revision: newest.revision, createdAt: newest.createdAt, ageMs };
  const minutes = (ms: number) => `${Math.round(ms / 60_000)} min`;
  if (ageMs > input.windowMs) {
    return {
      rollback: false,
      reason: `newest deploy ${newest.revision} is ${minutes(ageMs)} old, beyond the ${minutes(input.windowMs)} rollback window`,
      newest: facts,
    };
  }
  return {
    rollback: true,
    reason: `newest deploy ${newest.revision} is ${minutes(ageMs)} old, within the ${minutes(input.windowMs)} rollback window`,
    newest: facts,
  };
}
