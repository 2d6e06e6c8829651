export * from './end-operation.js';
export * from './operation-events.js';
export * from './operation-record.js';
export * from './operation-runner.js';
export * from './operation-store.js';
export * from './refuse-interrupted.js';
