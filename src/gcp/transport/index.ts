export * from './gcp-api-error.js';
export * from './gcp-transport.js';
export * from './google-token-source.js';
export * from './mask-request.js';
export * from './operations.js';
export * from './plan-transport.js';
export * from './rest-transport.js';
