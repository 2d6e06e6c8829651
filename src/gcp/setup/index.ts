export * from './setup-staging.js';
export * from './staging-cost.js';
