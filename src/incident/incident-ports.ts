import type { Clock } from '../kernel/clock.js';
import type { AuditPort } from '../monitor/index.js';
import type { Platform } from '../platform/index.js';
import type { StateStore } from '../store/index.js';

/** What the incident domain needs from the outside, each behind a narrow port. */
export interface IncidentPorts {
  store: StateStore;
  clock: Clock;
  audit: AuditPort;
  /** Revisions and traffic for the snapshot and the rollback decision. */
  platform: Pick<Platform, 'getService' | 'listRevisions'>;
  /** Last `tail` log lines of a revision (masked again here). */
  readLogs?: (environment: string, revision: string, tail: number) => Promise<string[]> | string[];
  /** The newest audit events, for the snapshot. */
  readAuditTail?: (limit: number) => unknown[];
  /**
   * Sends production back to the last known-good revision. The deploy kernel provides it; without it
   * the rollback step is reported as not executed, with the reason.
   */
  rollback?: (environment: string, reason: string) => Promise<{ revision: string; message: string }>;
  /** Exact secret values to mask in the snapshot's logs. */
  knownSecrets?: () => readonly string[];
}

/** Trusted incident settings (from the `incident` config section). */
export interface IncidentSettings {
  freezeSeverity: number;
  rollbackWindowMs: number;
  /** Environments where an incident rolls back automatically (default: the last of the chain). */
  productionEnvironments: string[];
  autoOpen: { alert: string; severity: number; environments: string[] }[];
  /** Absolute folder for postmortems. */
  postmortemDir: string;
}
