export * from './assert-environment.js';
export * from './default-config.js';
export * from './errors.js';
export { WEEKDAYS, type Weekday } from './fields.js';
export * from './load-config.js';
export * from './runtime-fingerprint.js';
export * from './schema.js';
export * from './sections/tests.js';
