export * from './agent-api-error.js';
export * from './agent-api-schemas.js';
export * from './create-agent-app.js';
