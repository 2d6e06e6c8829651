export * from './migration-target.js';
export * from './open-secrets-session.js';
export * from './operation-notices.js';
export * from './operation-recovery.js';
