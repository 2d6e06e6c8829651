export * from './local/index.js';
export * from './platform.js';
