import type { Config, EnvironmentConfig } from '../config/index.js';

export type RuleSeverity = 'block' | 'warn';
/** The actions rules guard. A rule lists the actions it applies to. */
export type RuleAction = 'deploy' | 'migrate' | 'rotate' | 'sql' | 'run';

export type RuleScope =
  /** every environment */
  | 'all'
  /** shared environments: `protected: true`, or with `requires` or `branch` */
  | 'protected'
  /** environments with a `branch` */
  | 'branch-bound'
  /** the last environment of the chain: nothing requires it and it requires something (production) */
  | 'final';

/** A golden rule as data: what it checks, why it exists (the seed section), how hard it bites. */
export interface RuleDefinition {
  readonly id: string;
  readonly title: string;
  /** Why the rule exists: the seed document's section and words. */
  readonly why: string;
  readonly severity: RuleSeverity;
  readonly scope: RuleScope;
  readonly actions: readonly RuleAction[];
  /** What satisfies the rule, shown with a refusal. */
  readonly fix: string;
}

export function isInScope(scope: RuleScope, envName: string, config: Pick<Config, 'environments'>): boolean {
  const env: EnvironmentConfig | undefined = config.environments[envName];
  if (!env) return false;
  switch (scope) {
    case 'all':
      return true;
    case 'protected':
      return env.protected || env.requires !== undefined || env.branch !== undefined;
    case 'branch-bound':
      return env.branch !== undefined;
    case 'final':
      return (
        env.requires !== undefined &&
        !Object.values(config.environments).some((other) => other.requires === envName)
      );
  }
}
