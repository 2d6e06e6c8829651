/**
 * `prodguard` as a library: the functions its CLI calls, for teams that script their own pipelines.
 * A door, not a dump: each name is re-exported from its domain's public `index.ts`. Services import
 * the app-side runtime from `@prodguard/runtime` instead, which does not carry the tool.
 *
 * @example
 * import { loadConfig, lintMigration } from 'prodguard';
 * const config = loadConfig({ cwd: process.cwd() });
 */
export type { AuditEvent, AuditVerification } from './audit/index.js';
export { AuditLog, verifyAuditChain } from './audit/index.js';
export type { Config, LoadConfigOptions } from './config/index.js';
export { configJsonSchema, loadConfig, parseConfigText } from './config/index.js';
export type { LintFinding, LintResult } from './database/index.js';
export {
  lintMigration,
  runBackup,
  runDriftCheck,
  runMigrateDeploy,
  runMigrateRollback,
  runRestore,
} from './database/index.js';
export type { DeployResult } from './deploy/index.js';
export { runDeploy, runMaintenance, runRollback } from './deploy/index.js';
export type { DatabaseProxies } from './gcp/index.js';
export { startDatabaseProxies } from './gcp/index.js';
export type { ErrorCode } from './kernel/index.js';
export { isProdguardError, ProdguardError } from './kernel/index.js';
export type { PreflightResult } from './preflight/index.js';
export { runPreflight } from './preflight/index.js';
export type { RuleDefinition, Verdict } from './rules/index.js';
export { evaluateRules, GOLDEN_RULES } from './rules/index.js';
export {
  addSecretVersion,
  getSecretStatus,
  openSecretVault,
  pinSecretVersion,
  rotateSecret,
} from './secrets/index.js';
export { initProject } from './workspace/index.js';
