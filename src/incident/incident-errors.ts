import { ProdguardError, UsageError } from '../kernel/errors.js';

export function incidentNotFound(id: number | string): UsageError {
  return new UsageError('PRODGUARD_INCIDENT_NOT_FOUND', `No incident #${id}.`, {
    hint: 'List them with `prodguard incident list`.',
  });
}

export function incidentResolved(id: number): ProdguardError {
  return new ProdguardError('PRODGUARD_INCIDENT_RESOLVED', `Incident #${id} is already resolved.`, {
    kind: 'refused',
    hint: 'Open a new incident if the problem is back: prodguard incident open --sev <1-5> "<title>"',
  });
}

export function badSeverity(value: unknown): UsageError {
  return new UsageError('PRODGUARD_INCIDENT_SEVERITY', `Severity "${String(value)}" is not 1 to 5.`, {
    hint: 'SEV-1 is the worst (full outage) and SEV-5 the mildest; if unsure, pick the higher one.',
  });
}
