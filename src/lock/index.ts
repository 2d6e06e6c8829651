export * from './run-lock-break.js';
