import type { ClassifiedStatement, SqlStatementKind } from '../classify-sql.js';
import { judgeFunction } from './console-functions.js';

/** One reason the production console refuses a statement. */
export interface ConsoleRefusal {
  /** 1-based position of the statement in the input. */
  statement: number;
  node: string;
  kind: SqlStatementKind;
  /** Stable short tag for the audit and tests: kind:<kind>, function:<name>, operator:<name>, … */
  tag: string;
  message: string;
  hint: string;
  /** False when no flag can allow it (everything except a write without --write). */
  unlockable: boolean;
}

export interface ConsolePlan {
  refusals: ConsoleRefusal[];
  /** Every function called, for the audit (names only, never arguments). */
  functions: string[];
  writes: number;
}

export interface ConsolePlanOptions {
  write: boolean;
  /** Schema-qualified functions the team allowed (database.consoleFunctions). */
  extraFunctions: readonly string[];
}

const NEVER: Readonly<Record<Exclude<SqlStatementKind, 'read' | 'write'>, { why: string; hint: string }>> = {
  ddl: {
    why: 'schema change by hand',
    hint: 'Write a migration: `prodguard migrate new <name>`, deploy it to staging, then production.',
  },
  role: {
    why: 'role, password or privilege change by hand',
    hint: 'Rotate credentials with `prodguard secrets rotate <name> --env <env>` (staging first); roles come from `prodguard secrets setup-roles`.',
  },
  transaction: {
    why: 'transaction control: prodguard owns the transaction (read-only, or one transaction committed after confirmation)',
    hint: 'Remove BEGIN/COMMIT/ROLLBACK/SAVEPOINT/SET TRANSACTION; writes go through `--write "<reason>"`.',
  },
  session: {
    why: 'session settings can lift the read-only guard or change which function a name resolves to',
    hint: 'The statement timeout comes from database.statementTimeout; nothing else needs a SET to read.',
  },
  copy: {
    why: 'COPY reads or writes files and programs on the database host (and COPY … TO STDOUT adds nothing a SELECT cannot show)',
    hint: 'Use SELECT; for an export, take a backup (`prodguard db backup`) and query it elsewhere.',
  },
  utility: {
    why: 'runs code or server actions the console cannot inspect (DO, CALL, PREPARE/EXECUTE, cursors, LISTEN/NOTIFY, LOCK, VACUUM, CHECKPOINT, LOAD, ALTER SYSTEM …)',
    hint: 'Run maintenance through a migration or the provider console; query with SELECT.',
  },
};

/**
 * Judges console input for the final environment: an allowlist of statement kinds and of functions.
 * Pure: the session runs nothing unless `refusals` is empty.
 *
 * @example
 * const plan = planConsoleSession(await classifySql("SELECT lo_create(0)"), { write: false, extraFunctions: [] });
 * plan.refusals[0].tag // 'function:lo_create'
 */
export function planConsoleSession(
  statements: readonly ClassifiedStatement[],
  options: ConsolePlanOptions,
): ConsolePlan {
  const refusals: ConsoleRefusal[] = [];
  const functions = new Set<string>();
  let writes = 0;
  statements.forEach((s, index) => {
    const at = { statement: index + 1, node: s.node, kind: s.kind };
    const where = `statement ${index + 1} (${s.node})`;
    if (s.kind === 'write') {
      writes += 1;
      if (!options.write)
        refusals.push({
          ...at,
          tag: 'kind:write',
          message: `${where} writes${s.note ? ` (${s.note})` : ''}; the console is read-only`,
          hint: 'Pass --write "<reason>" (audited; row counts are shown before COMMIT), or run it on staging.',
          unlockable: true,
        });
    } else if (s.kind !== 'read') {
      const never = NEVER[s.kind];
      refusals.push({
        ...at,
        tag: `kind:${s.kind}`,
        message: `${where}: ${s.note ?? never.why}; refused whatever the flags`,
        hint: never.hint,
        unlockable: false,
      });
    }
    for (const name of s.functions) {
      functions.add(name);
      const verdict = judgeFunction(name, options.extraFunctions);
      if (!verdict.allowed)
        refusals.push({
          ...at,
          tag: `function:${name}`,
          message: `${where} calls ${name}(), which ${verdict.reason}; refused whatever the flags`,
          hint: name.includes('.')
            ? `If ${name} only computes a value, list it in database.consoleFunctions in prodguard.yaml.`
            : 'The console accepts only functions without side effects outside the statement.',
          unlockable: false,
        });
    }
    for (const finding of s.findings)
      refusals.push({
        ...at,
        tag: `${finding.what}:${finding.name}`,
        message:
          finding.what === 'operator'
            ? `${where} uses operator ${finding.name}, which is not a built-in operator; an operator runs a function`
            : finding.what === 'depth'
              ? `${where} nests deeper than ${finding.name} levels, more than the console inspects`
              : `${where} samples with method ${finding.name}; only SYSTEM and BERNOULLI are built in`,
        hint: 'Use built-in operators and functions, or list the function in database.consoleFunctions.',
        unlockable: false,
      });
  });
  return { refusals, functions: [...functions].sort(), writes };
}
