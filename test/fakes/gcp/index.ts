export * from './fake-cloud-run.js';
export * from './fake-cloud-sql.js';
export * from './fake-gcp.js';
export * from './fake-http.js';
export * from './fake-logging.js';
export * from './fake-monitoring.js';
export * from './fake-secret-manager.js';
