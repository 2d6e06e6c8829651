export * from './run-guarded.js';
