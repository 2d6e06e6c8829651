import { type AuditLog, runAuditedAtomic } from '../audit/index.js';
import { assertEnvironment, type Config } from '../config/index.js';
import type { Clock } from '../kernel/clock.js';
import { UsageError } from '../kernel/errors.js';
import type { StateStore } from '../store/index.js';
import {
  type FreezeFinding,
  localTime,
  type ManualFreeze,
  planFreezes,
  planWeekdayFreeze,
} from './freeze-calendar.js';
import { insertFreeze, liftFreezes, readManualFreezes } from './freeze-store.js';

export interface FreezeDeps {
  config: Config;
  store: StateStore;
  audit: AuditLog;
  clock: Clock;
  actor: () => Promise<string>;
}

function checkEnvironment(config: Config, environment: string | undefined): void {
  // No environment means every environment.
  if (environment !== undefined) assertEnvironment(config, environment);
}

/** Stops deploys (seed §10 step 1), on one environment or all, until lifted or until a time. */
export async function freezeOn(
  deps: FreezeDeps,
  options: { environment?: string; until?: Date; reason: string },
): Promise<ManualFreeze> {
  checkEnvironment(deps.config, options.environment);
  if (!options.reason || options.reason.trim().length < 3) {
    throw new UsageError('PRODGUARD_FREEZE_REASON_MISSING', 'A freeze needs --reason "<why>".', {
      hint: 'Example: prodguard freeze on --reason "incident INC-42: API 503s"',
    });
  }
  const now = deps.clock.now();
  if (options.until && options.until.getTime() <= now.getTime()) {
    throw new UsageError(
      'PRODGUARD_FREEZE_UNTIL_PAST',
      `--until ${options.until.toISOString()} is in the past.`,
      { hint: 'Give a future time, or a duration such as --until 4h.' },
    );
  }
  const actor = await deps.actor();
  // The freeze row and its audit outcome commit together; without the intent written first, nothing is.
  return runAuditedAtomic(
    deps.audit,
    {
      actor,
      environment: options.environment,
      action: 'freeze.on',
      target: options.environment ?? 'all environments',
      reason: options.reason,
      details: { until: options.until?.toISOString() ?? null },
    },
    () =>
      insertFreeze(deps.store, {
        environment: options.environment ?? null,
        reason: options.reason,
        actor,
        at: now,
        until: options.until ?? null,
      }),
    (freeze) => ({ details: { freezeId: freeze.id } }),
  ).value;
}

export async function freezeOff(
  deps: FreezeDeps,
  options: { environment?: string; reason?: string },
): Promise<ManualFreeze[]> {
  checkEnvironment(deps.config, options.environment);
  const actor = await deps.actor();
  return runAuditedAtomic(
    deps.audit,
    {
      actor,
      environment: options.environment,
      action: 'freeze.off',
      target: options.environment ?? 'all environments',
      reason: options.reason,
    },
    () => {
      const lifted = liftFreezes(deps.store, options.environment ?? null, actor, deps.clock.now());
      if (lifted.length === 0) {
        throw new UsageError(
          'PRODGUARD_FREEZE_NONE',
          `No manual freeze is set on ${options.environment ?? 'all environments'}.`,
          {
            hint: options.environment
              ? 'A freeze on all environments is lifted with `prodguard freeze off` (no --env). Weekday rules and windows live in prodguard.yaml.'
              : 'Per-environment freezes are lifted with --env <name>. Weekday rules and windows live in prodguard.yaml.',
          },
        );
      }
      return lifted;
    },
    (lifted) => ({ details: { lifted: lifted.map((f) => f.id) } }),
  ).value;
}

export interface EnvironmentFreezeStatus {
  environment: string;
  frozen: boolean;
  findings: FreezeFinding[];
}

export interface FreezeStatus {
  at: string;
  local: string;
  timezone: string;
  environments: EnvironmentFreezeStatus[];
  manual: ManualFreeze[];
}

/** For each environment: would a deploy at `at` be frozen, and by what? Weekday rules apply where the rule applies. */
export function readFreezeStatus(
  deps: Pick<FreezeDeps, 'config' | 'store' | 'clock'>,
  options: { at?: Date; environment?: string; weekdayApplies: (environment: string) => boolean },
): FreezeStatus {
  checkEnvironment(deps.config, options.environment);
  const at = options.at ?? deps.clock.now();
  const manual = readManualFreezes(deps.store);
  const names = options.environment ? [options.environment] : deps.config.environmentOrder;
  const environments = names.map((environment) => {
    const weekday = options.weekdayApplies(environment)
      ? planWeekdayFreeze(at, deps.config.timezone, deps.config.freeze.weekdays)
      : undefined;
    const findings = [
      ...(weekday ? [weekday] : []),
      ...planFreezes({
        at,
        environment,
        timezone: deps.config.timezone,
        windows: deps.config.freeze.windows,
        manual,
      }),
    ];
    return { environment, frozen: findings.length > 0, findings };
  });
  return {
    at: at.toISOString(),
    local: localTime(at, deps.config.timezone).label,
    timezone: deps.config.timezone,
    environments,
    manual: manual.filter((f) => f.until === null || new Date(f.until).getTime() > at.getTime()),
  };
}
