import { describe, expect, it } from 'vitest';
import { planIncidentRollback } from './plan-incident-rollback.js';

const now = Date.parse('2026-12-01T12:00:00Z');
const base = { productionEnvironments: ['production'], nowMs: now, windowMs: 3_600_000 };

describe('planIncidentRollback', () => {
  it.each([
    {
      name: 'recent deploy on production → roll back',
      environment: 'production',
      serving: [{ revision: 'p-2', createdAt: '2026-12-01T11:40:00Z' }],
      rollback: true,
      reason: 'newest deploy p-2 is 20 min old, within the 60 min rollback window',
    },
    {
      name: 'old deploy → no rollback',
      environment: 'production',
      serving: [{ revision: 'p-1', createdAt: '2026-12-01T09:00:00Z' }],
      rollback: false,
      reason: 'newest deploy p-1 is 180 min old, beyond the 60 min rollback window',
    },
    {
      name: 'canary split: the newest serving revision decides',
      environment: 'production',
      serving: [
        { revision: 'p-1', createdAt: '2026-12-01T09:00:00Z' },
        { revision: 'p-2', createdAt: '2026-12-01T11:55:00Z' },
      ],
      rollback: true,
      reason: 'newest deploy p-2 is 5 min old, within the 60 min rollback window',
    },
    {
      name: 'staging never rolls back automatically',
      environment: 'staging',
      serving: [{ revision: 's-2', createdAt: '2026-12-01T11:59:00Z' }],
      rollback: false,
      reason: 'staging is not a production environment',
    },
    {
      name: 'nothing serving',
      environment: 'production',
      serving: [],
      rollback: false,
      reason: 'no revision serves production',
    },
  ])('$name', ({ environment, serving, rollback, reason }) => {
    expect(planIncidentRollback({ ...base, environment, serving })).toMatchObject({ rollback, reason });
  });
});
