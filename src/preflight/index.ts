export { probeHealth } from './checks/required-env-healthy.js';
export * from './git-facts.js';
export * from './last-release.js';
export * from './preflight-checks.js';
export { createPreflightContext, type PreflightContext } from './preflight-context.js';
export * from './preflight-deploy-checks.js';
export * from './run-preflight.js';
export * from './secret-scanner.js';
