export * from './golden-rules.js';
export * from './rule.js';
export * from './rule-engine.js';
