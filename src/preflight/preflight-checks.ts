import type { RuleCheck } from '../rules/index.js';
import { changeDocumentedCheck } from './checks/change-documented.js';
import { cleanTreeCheck } from './checks/clean-tree.js';
import { coverageMinimumsCheck } from './checks/coverage-minimums.js';
import { deployFreezeCheck, noFridayDeploysCheck } from './checks/freeze.js';
import { noSecretsInGitCheck } from './checks/no-secrets-in-git.js';
import { requiredEnvHealthyCheck } from './checks/required-env-healthy.js';
import { rightBranchCheck, upToDateCheck } from './checks/right-branch.js';
import { rollbackTagFreeCheck } from './checks/rollback-tag-free.js';
import { secretsRotationDueCheck } from './checks/secrets-rotation-due.js';
import { testsPassCheck } from './checks/tests-pass.js';
import type { PreflightContext } from './preflight-context.js';

/** The seed's pre-deployment checklist (§5), in the order it is shown. */
export const PREFLIGHT_CHECKS: readonly RuleCheck<PreflightContext>[] = Object.freeze([
  testsPassCheck,
  cleanTreeCheck,
  rightBranchCheck,
  upToDateCheck,
  requiredEnvHealthyCheck,
  rollbackTagFreeCheck,
  noFridayDeploysCheck,
  deployFreezeCheck,
  changeDocumentedCheck,
  noSecretsInGitCheck,
  coverageMinimumsCheck,
  secretsRotationDueCheck,
]);
