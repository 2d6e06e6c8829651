import type { Command } from 'commander';
import { createOperationNotices } from '../../app/operation-notices.js';
import { type AuditHead, runAutoAnchor } from '../../audit/index.js';
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
  try {
    return await fn(ws);
  } finally {
    await notices.flush();
    await autoAnchor(io, ws, before);
    ws.close();
  }
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

/** `--override a --override b --reason "…"` → one override per rule, all with the reason. */
export function parseOverrides(
  ruleIds: readonly string[] | undefined,
  reason: string | undefined,
): RuleOverride[] {
  const ids = ruleIds ?? [];
  if (ids.length > 0 && !reason) {
    throw new UsageError(
      'PRODGUARD_OVERRIDE_REASON_MISSING',
      `--override ${ids.join(', ')} needs --reason "<why>".`,
      {
        hint: 'Overrides are audited; the reason is what the next person reads.',
      },
    );
  }
  return ids.map((ruleId) => ({ ruleId, reason: reason ?? '' }));
}

export function addOverrideOptions(command: Command): Command {
  return command
    .option('--override <rule>', 'proceed although this rule blocks (repeatable; audited)', collect)
    .option('--reason <text>', 'why the override is needed (required with --override)');
}
