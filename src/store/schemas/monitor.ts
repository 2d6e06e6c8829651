import type { StoreMigrationSet } from '../store-migration.js';

/** Tables owned by src/monitor. Append new scripts; never edit one that has shipped. */
export const monitorStoreMigrations: StoreMigrationSet = {
  domain: 'monitor',
  migrations: [
    `CREATE TABLE monitor_alerts (
       fingerprint TEXT PRIMARY KEY,
       rule TEXT NOT NULL,
       environment TEXT NOT NULL,
       severity TEXT NOT NULL,
       labels TEXT NOT NULL,
       state TEXT NOT NULL,
       condition TEXT NOT NULL,
       active_since INTEGER,
       firing_since INTEGER,
       last_breach_at INTEGER,
       resolved_at INTEGER,
       value REAL,
       threshold REAL NOT NULL,
       summary TEXT NOT NULL,
       updated_at INTEGER NOT NULL
     );
     CREATE INDEX monitor_alerts_env ON monitor_alerts(environment, state);
     CREATE TABLE monitor_alert_transitions (
       id INTEGER PRIMARY KEY,
       fingerprint TEXT NOT NULL,
       rule TEXT NOT NULL,
       environment TEXT NOT NULL,
       kind TEXT NOT NULL,
       at INTEGER NOT NULL,
       value REAL,
       summary TEXT NOT NULL
     );
     CREATE INDEX monitor_alert_transitions_env ON monitor_alert_transitions(environment, at);
     CREATE TABLE monitor_silences (
       id TEXT PRIMARY KEY,
       matchers TEXT NOT NULL,
       starts_at INTEGER NOT NULL,
       ends_at INTEGER NOT NULL,
       created_by TEXT NOT NULL,
       reason TEXT NOT NULL,
       expired_at INTEGER
     );
     CREATE TABLE monitor_groups (
       environment TEXT PRIMARY KEY,
       state TEXT NOT NULL
     );
     CREATE TABLE monitor_notifications (
       id TEXT PRIMARY KEY,
       environment TEXT NOT NULL,
       kind TEXT NOT NULL,
       severity TEXT NOT NULL,
       title TEXT NOT NULL,
       payload TEXT NOT NULL,
       created_at INTEGER NOT NULL
     );
     CREATE INDEX monitor_notifications_env ON monitor_notifications(environment, created_at);
     CREATE TABLE monitor_deliveries (
       id TEXT PRIMARY KEY,
       notification_id TEXT NOT NULL,
       notifier TEXT NOT NULL,
       kind TEXT NOT NULL,
       environment TEXT NOT NULL,
       status TEXT NOT NULL,
       attempts INTEGER NOT NULL,
       last_error TEXT,
       created_at INTEGER NOT NULL,
       updated_at INTEGER NOT NULL
     );
     CREATE INDEX monitor_deliveries_status ON monitor_deliveries(status, updated_at);
     CREATE TABLE monitor_probe_results (
       id INTEGER PRIMARY KEY,
       environment TEXT NOT NULL,
       probe TEXT NOT NULL,
       kind TEXT NOT NULL,
       ok INTEGER NOT NULL,
       state TEXT NOT NULL,
       latency_ms REAL NOT NULL,
       status INTEGER,
       error TEXT,
       at INTEGER NOT NULL
     );
     CREATE INDEX monitor_probe_results_probe ON monitor_probe_results(environment, probe, at);
     CREATE TABLE monitor_traffic (
       environment TEXT NOT NULL,
       minute INTEGER NOT NULL,
       requests INTEGER NOT NULL,
       errors INTEGER NOT NULL,
       PRIMARY KEY (environment, minute)
     );
     CREATE TABLE monitor_lease (
       id INTEGER PRIMARY KEY CHECK (id = 1),
       owner TEXT NOT NULL,
       expires_at INTEGER NOT NULL
     );`,
  ],
};
