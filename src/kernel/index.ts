export * from './clock.js';
export * from './duration.js';
export * from './errors.js';
export * from './free-port.js';
export * from './load-embedded-postgres.js';
export * from './logger.js';
export * from './process-runner.js';
export * from './redact.js';
