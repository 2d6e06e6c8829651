export * from './apply-monitoring.js';
export * from './plan-monitoring.js';
export * from './read-run-metrics.js';
export * from './run-analysis-sample.js';
