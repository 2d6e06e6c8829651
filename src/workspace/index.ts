export * from './init-project.js';
export * from './resolve-actor.js';
export * from './workspace.js';
