export * from './audit-event.js';
export * from './audit-hash.js';
export * from './audit-log.js';
export * from './verify-audit-chain.js';
