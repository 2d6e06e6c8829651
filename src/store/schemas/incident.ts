import type { StoreMigrationSet } from '../store-migration.js';

/**
 * Tables owned by src/incident. `incidents(id, environment, title, status)` is what the deploy rule
 * `no-open-incident` reads; `freezes_deploys` is 1 while the severity is within the configured freeze level.
 */
export const incidentStoreMigrations: StoreMigrationSet = {
  domain: 'incident',
  migrations: [
    `CREATE TABLE incidents (
       id INTEGER PRIMARY KEY,
       environment TEXT NOT NULL,
       title TEXT NOT NULL,
       severity INTEGER NOT NULL CHECK (severity BETWEEN 1 AND 5),
       status TEXT NOT NULL,
       freezes_deploys INTEGER NOT NULL,
       source TEXT NOT NULL,
       alert_fingerprint TEXT,
       opened_by TEXT NOT NULL,
       opened_at TEXT NOT NULL,
       mitigated_at TEXT,
       resolved_at TEXT,
       root_cause TEXT,
       postmortem_path TEXT,
       snapshot TEXT
     );
     CREATE INDEX incidents_env ON incidents(environment, status);
     CREATE TABLE incident_events (
       id INTEGER PRIMARY KEY,
       incident_id INTEGER NOT NULL REFERENCES incidents(id),
       at TEXT NOT NULL,
       kind TEXT NOT NULL,
       actor TEXT NOT NULL,
       message TEXT NOT NULL,
       details TEXT NOT NULL
     );
     CREATE INDEX incident_events_incident ON incident_events(incident_id, id);`,
  ],
};
