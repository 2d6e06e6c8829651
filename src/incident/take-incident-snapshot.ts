import { redactText, redactValue } from '../kernel/redact.js';
import { MonitorStore } from '../monitor/index.js';
import type { StateStore } from '../store/index.js';
import type { IncidentPorts } from './incident-ports.js';

export interface IncidentSnapshot {
  takenAt: string;
  environment: string;
  traffic: { revision: string; percent: number }[];
  maintenance: boolean;
  revisions: {
    name: string;
    state: string;
    createdAt: string;
    restarts: number;
    commit: string;
    digest: string;
    secretVersions: Record<string, number>;
  }[];
  deploys: Record<string, unknown>[];
  migrations: Record<string, unknown>[];
  rotations: Record<string, unknown>[];
  /** Secret name → pinned version number (never a value). */
  pinnedSecrets: Record<string, number>;
  firingAlerts: { rule: string; severity: string; since: string | null; summary: string }[];
  /** Last lines per serving revision, credentials masked. */
  logs: Record<string, string[]>;
  auditTail: unknown[];
  /** Parts that could not be read, and why: a snapshot during an outage is best effort, never silent. */
  gaps: string[];
}

function hasTable(store: StateStore, table: string): boolean {
  return (
    store.db
      .prepare<[string], { n: number }>(
        "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = ?",
      )
      .get(table)!.n > 0
  );
}

/** Reads the newest rows of another domain's table, when that domain's schema is present. */
function recentRows(
  store: StateStore,
  table: string,
  columns: string,
  where: string,
  params: unknown[],
  order: string,
  limit: number,
) {
  if (!hasTable(store, table)) return [];
  return store.db
    .prepare<unknown[], Record<string, unknown>>(
      `SELECT ${columns} FROM ${table} WHERE ${where} ORDER BY ${order} DESC LIMIT ${limit}`,
    )
    .all(...params);
}

/**
 * Everything an incident responder asks first, frozen at the moment the incident opens: what runs and
 * where traffic goes, what changed lately (deploys, migrations, rotations), pinned secret versions, firing
 * alerts, the last 100 log lines per serving revision (masked) and the audit tail.
 */
export async function takeIncidentSnapshot(
  ports: IncidentPorts,
  environment: string,
): Promise<IncidentSnapshot> {
  const known = ports.knownSecrets?.() ?? [];
  const gaps: string[] = [];
  const snapshot: IncidentSnapshot = {
    takenAt: ports.clock.now().toISOString(),
    environment,
    traffic: [],
    maintenance: false,
    revisions: [],
    deploys: [],
    migrations: [],
    rotations: [],
    pinnedSecrets: {},
    firingAlerts: [],
    logs: {},
    auditTail: [],
    gaps,
  };
  try {
    const service = await ports.platform.getService(environment);
    snapshot.traffic = service.traffic.map((t) => ({ revision: t.revision, percent: t.percent }));
    snapshot.maintenance = service.maintenance !== undefined;
    const revisions = await ports.platform.listRevisions(environment);
    snapshot.revisions = revisions.map((r) => ({
      name: r.name,
      state: r.state,
      createdAt: r.createdAt,
      restarts: r.restarts,
      commit: r.release.commit,
      digest: r.release.digest,
      secretVersions: r.secretVersions,
    }));
  } catch (error) {
    gaps.push(`platform: ${redactText(error instanceof Error ? error.message : String(error), known)}`);
  }
  const store = ports.store;
  snapshot.deploys = recentRows(
    store,
    'deploy_operations',
    'id, kind, status, actor, started_at, finished_at, error',
    'environment = ?',
    [environment],
    'started_at',
    10,
  );
  snapshot.rotations = recentRows(
    store,
    'secret_rotations',
    'id, name, strategy, status, step, from_version, to_version, actor, started_at, finished_at, error',
    'environment = ?',
    [environment],
    'started_at',
    10,
  );
  snapshot.migrations = recentRows(
    store,
    'audit_events',
    'seq, at, actor, action, target, outcome',
    "environment = ? AND (action LIKE 'migrate%' OR action LIKE 'migration%' OR action LIKE 'db.%')",
    [environment],
    'seq',
    10,
  );
  for (const row of recentRows(
    store,
    'secret_pins',
    'name, version',
    'environment = ?',
    [environment],
    'name',
    1000,
  )) {
    snapshot.pinnedSecrets[String(row.name)] = Number(row.version);
  }
  snapshot.firingAlerts = new MonitorStore(store)
    .readAlerts({ environment, states: ['firing'] })
    .map((a) => ({
      rule: a.rule,
      severity: a.severity,
      since: a.firingSince === null ? null : new Date(a.firingSince).toISOString(),
      summary: a.summary,
    }));
  const serving = snapshot.traffic.filter((t) => t.percent > 0).map((t) => t.revision);
  for (const revision of serving) {
    if (!ports.readLogs) {
      gaps.push('logs: no log reader for this platform');
      break;
    }
    try {
      const lines = await ports.readLogs(environment, revision, 100);
      snapshot.logs[revision] = lines.slice(-100).map((l) => redactText(l, known));
    } catch (error) {
      gaps.push(
        `logs of ${revision}: ${redactText(error instanceof Error ? error.message : String(error), known)}`,
      );
    }
  }
  snapshot.auditTail = ports.readAuditTail ? redactValue(ports.readAuditTail(50), known) : [];
  return redactValue(snapshot, known);
}
