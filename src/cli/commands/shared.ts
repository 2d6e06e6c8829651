import type { Command } from 'commander';
import { createOperationNotices } from '../../app/operation-notices.js';
import { type AuditHead, runAutoAnchor } from '../../audit/index.js';
import {
  type DatabaseProxies,
  mayNeedSqlProxy,
  startDatabaseProxies,
} from '../../gcp/cloudsql/start-database-proxies.js';
import { parseDuration } from '../../kernel/duration.js';
import { UsageError } from '../../kernel/errors.js';
import type { NotifyOperationNotice } from '../../monitor/operation-notice.js';
import type { RuleOverride } from '../../rules/index.js';
import { openWorkspace, type Workspace } from '../../workspace/index.js';
import type { CliIo } from '../io.js';
import { type Style, styleFor } from '../render.js';

export interface GlobalOptions {
  config?: string;
  json?: boolean;
  color?: boolean;
}

export function globalsOf(command: Command): GlobalOptions {
  return command.optsWithGlobals() as GlobalOptions;
}

export function styleOf(command: Command, io: CliIo): Style {
  return styleFor(io, globalsOf(command).color);
}

/** Opens the workspace for one command and always closes it. */
export async function withWorkspace<T>(
  io: CliIo,
  command: Command,
  fn: (ws: Workspace) => Promise<T>,
): Promise<T> {
  const globals = globalsOf(command);
  const ws = openWorkspace({
    cwd: io.cwd,
    env: io.env,
    ...(globals.config ? { configFile: globals.config } : {}),
  });
  const before = ws.config.audit.autoAnchor ? headOrUndefined(ws) : undefined;
  // Operations on protected environments tell the team when they start and end (monitor.notifiers).
  // Loaded on the first notice only: commands that start no operation never pay for the notifiers.
  let sender: NotifyOperationNotice | undefined;
  const notify: NotifyOperationNotice = async (notice) => {
    const { workspaceOperationNotifier } = await import('./monitor-wiring.js');
    sender ??= workspaceOperationNotifier(ws, io);
    return sender(notice);
  };
  const notices = createOperationNotices(notify, ws.log);
  ws.operations.observe(notices.observer);
  let proxies: DatabaseProxies | undefined;
  try {
    proxies = await startProxiesFor(io, command, ws);
    return await fn(proxies ? { ...ws, env: proxies.env } : ws);
  } finally {
    // Also on an error and after Ctrl-C (the command returns once io.signal aborts).
    await proxies?.stop();
    await notices.flush();
    await autoAnchor(io, ws, before);
    ws.close();
  }
}

/** Commands that connect to an environment's database (the rest never start a Cloud SQL Auth Proxy). */
const DATABASE_COMMANDS: ReadonlySet<string> = new Set([
  'migrate status',
  'migrate deploy',
  'migrate resolve',
  'migrate verify-rollback',
  'migrate rollback',
  'db backup',
  'db restore',
  'db drift',
  'sql',
  'secrets rotate',
  'secrets setup-roles',
  'resume',
  'abort',
]);

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * The Cloud SQL Auth Proxy of each environment this command may connect to (platform.sqlProxy), started
 * before the command and stopped after it. An environment argument narrows it to that environment and the
 * one before it in the chain (the staging-first check reads it); otherwise every environment.
 */
async function startProxiesFor(
  io: CliIo,
  command: Command,
  ws: Workspace,
): Promise<DatabaseProxies | undefined> {
  const opts = command.opts() as { env?: unknown; plan?: unknown };
  if (!DATABASE_COMMANDS.has(commandPath(command)) || opts.plan || !mayNeedSqlProxy(ws.config))
    return undefined;
  const first = opts.env ?? command.processedArgs[0];
  const environments = typeof first === 'string' && ws.config.environments[first] ? [first] : undefined;
  return startDatabaseProxies(ws.config, ws.env, {
    clock: ws.clock,
    signal: io.signal,
    ...(environments ? { environments } : {}),
  });
}

function headOrUndefined(ws: Workspace): AuditHead | undefined {
  try {
    return ws.audit.head();
  } catch {
    return undefined; // the command itself reports an unreadable audit trail
  }
}

/** audit.autoAnchor: the head goes to the configured destinations; a failure warns and never hides the command's own result. */
async function autoAnchor(io: CliIo, ws: Workspace, before: AuditHead | undefined): Promise<void> {
  if (!ws.config.audit.autoAnchor) return;
  try {
    const result = await runAutoAnchor(
      {
        audit: ws.audit,
        store: ws.store,
        clock: ws.clock,
        project: ws.config.project.name,
        config: ws.config,
      },
      before,
    );
    for (const w of result?.writes.filter((x) => !x.ok) ?? [])
      io.stderr(`warning: could not anchor the audit head to ${w.destination}: ${w.error}\n`);
  } catch (error) {
    io.stderr(
      `warning: could not anchor the audit head: ${error instanceof Error ? error.message : String(error)}\n`,
    );
  }
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function parseDurationOption(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  if (ms === undefined) {
    throw new UsageError('PRODGUARD_USAGE_DURATION', `${flag} "${value}" is not a duration.`, {
      hint: `Write it like 30s, 5m or 2h, e.g. ${flag} 5m.`,
    });
  }
  return ms;
}

export function parseTimeOption(flag: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) {
    throw new UsageError('PRODGUARD_USAGE_TIME', `${flag} "${value}" is not a time.`, {
      hint: `Use ISO 8601 with an offset, e.g. ${flag} 2026-12-04T15:00:00-06:00.`,
    });
  }
  return at;
}

/** The command line as typed (the root command keeps it): overrides pair with reasons by their order. */
export function typedArgs(command: Command): readonly string[] {
  let root: Command = command;
  while (root.parent) root = root.parent;
  // commander keeps the argv it parsed on the root (`rawArgs`, untyped): option values alone lose their order.
  return (root as unknown as { rawArgs?: readonly string[] }).rawArgs ?? [];
}

export interface ParsedOverrides {
  overrides: RuleOverride[];
  /** The reason left for the command's own flag (--no-rollback, --hotfix), if any. */
  reason?: string;
}

/**
 * Every override carries its own reason:
 * - `--override rule="why"` names it inline;
 * - `--override rule --reason "why"`: a --reason right after a bare --override is that override's;
 * - one --reason only (the older form): it goes to every bare override and to the command's own flag;
 * - a --reason that follows no bare override is the command's own (--no-rollback, --hotfix).
 * Two bare overrides followed by two reasons cannot be paired for sure: that is an error, never a guess.
 */
export function pairOverrides(argv: readonly string[]): ParsedOverrides {
  const inline: RuleOverride[] = [];
  const bare: { ruleId: string; reason?: string }[] = [];
  const reasons: string[] = [];
  let own: string | undefined;
  let ownTwice = false;
  let open: { ruleId: string; reason?: string } | undefined;
  let crowded = false;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') break;
    const flag = /^(--override|--reason)(?:=(.*))?$/s.exec(token);
    if (!flag) continue;
    const value = flag[2] ?? argv[++i];
    if (value === undefined) break; // commander reports the missing value
    if (flag[1] === '--override') {
      const eq = value.indexOf('=');
      if (eq > 0) inline.push({ ruleId: value.slice(0, eq).trim(), reason: value.slice(eq + 1).trim() });
      else {
        if (open) crowded = true;
        open = { ruleId: value.trim() };
        bare.push(open);
      }
      continue;
    }
    reasons.push(value);
    if (open) {
      open.reason = value;
      open = undefined;
    } else {
      if (own !== undefined) ownTwice = true;
      own = value;
    }
  }
  if (reasons.length === 1) {
    const [only] = reasons as [string];
    return { overrides: [...inline, ...bare.map((b) => ({ ruleId: b.ruleId, reason: only }))], reason: only };
  }
  const unpaired = bare.filter((b) => b.reason === undefined);
  if (reasons.length === 0 && unpaired.length > 0) {
    throw new UsageError(
      'PRODGUARD_OVERRIDE_REASON_MISSING',
      `--override ${unpaired.map((b) => b.ruleId).join(', ')} needs a reason.`,
      {
        hint: 'Overrides are audited; the reason is what the next person reads: --override <rule>="<why>" or --override <rule> --reason "<why>".',
      },
    );
  }
  if (reasons.length > 1 && (unpaired.length > 0 || crowded || ownTwice)) {
    throw new UsageError(
      'PRODGUARD_OVERRIDE_REASON_AMBIGUOUS',
      `${reasons.length} --reason flags cannot be paired for sure with ${bare.map((b) => `--override ${b.ruleId}`).join(', ') || 'the flags that need one'}.`,
      {
        hint: 'Give each override its own reason inline, e.g. --override migration-lint="checked by hand" --no-rollback --reason "data archived", or put each --reason right after its --override.',
      },
    );
  }
  return {
    overrides: [...inline, ...bare.map((b) => ({ ruleId: b.ruleId, reason: b.reason ?? '' }))],
    ...(own !== undefined ? { reason: own } : {}),
  };
}

/** The overrides of a command that has no flag of its own needing a reason. */
export function parseOverrides(command: Command): RuleOverride[] {
  return pairOverrides(typedArgs(command)).overrides;
}

export function addOverrideOptions(command: Command): Command {
  return command
    .option(
      '--override <rule[=reason]>',
      'proceed although this rule blocks (repeatable; audited), e.g. --override staging-first="hotfix for INC-7"',
      collect,
    )
    .option('--reason <text>', 'why: for the --override right before it, or for every override when alone');
}
