export * from './freeze-calendar.js';
export * from './freeze-operations.js';
export * from './freeze-rule-checks.js';
export * from './freeze-store.js';
export * from './release-tag.js';
