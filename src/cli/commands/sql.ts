import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import {
  isStrictConsole,
  resolveDatabaseTarget,
  resolveReadonlyUrl,
  runSqlSession,
  type SqlWriteSummary,
  WRITE_IDLE_TIMEOUT_MS,
} from '../../database/index.js';
import { UsageError } from '../../kernel/errors.js';
import type { Workspace } from '../../workspace/index.js';
import type { CliIo } from '../io.js';
import { printJson, renderTable } from '../render.js';
import { globalsOf, withWorkspace } from './shared.js';

export function register(program: Command, io: CliIo): void {
  program
    .command('sql <env>')
    .description(
      'guarded SQL console: on production, reads as the read-only role; writes need --write "<reason>"; no DDL, role, transaction or COPY statements there',
    )
    .option('-c, --command <sql>', 'SQL to run (otherwise --file, or stdin)')
    .option('--file <path>', 'read SQL from this file')
    .option(
      '--write <reason>',
      'allow INSERT/UPDATE/DELETE/MERGE on the final environment; the reason (10+ characters, audited) is required',
    )
    .option('--yes', 'commit writes without the interactive confirmation (CI)')
    .action(
      async (
        environment: string,
        options: { command?: string; file?: string; write?: string; yes?: boolean },
        command: Command,
      ) =>
        withWorkspace(io, command, async (ws) => {
          const fromStdin = options.command === undefined && !options.file;
          const sql =
            options.command ??
            (options.file ? readFileSync(resolve(io.cwd, options.file), 'utf8') : await io.readStdin());
          if (!sql.trim())
            throw new UsageError('PRODGUARD_SQL_EMPTY', 'No SQL given.', {
              hint: 'Use -c "SELECT …", --file q.sql, or pipe it on stdin.',
            });
          const target = resolveDatabaseTarget(ws.config, environment, ws.env);
          const strict = isStrictConsole(ws.config, environment, target.final);
          const readonlyUrl =
            strict && options.write === undefined
              ? await resolveReadonlyUrl(ws.config, environment, ws.env, (name, env) =>
                  readPinnedSecret(ws, name, env),
                )
              : undefined;
          const canPrompt = io.stdinIsTTY && !fromStdin;
          const confirm = options.yes
            ? async (summary: SqlWriteSummary) => {
                io.stderr(renderSummary(summary));
                return true;
              }
            : canPrompt
              ? (summary: SqlWriteSummary) => promptCommit(io, summary)
              : undefined;
          const result = await runSqlSession(
            {
              environment,
              url: target.url,
              ...(readonlyUrl ? { readonlyUrl } : {}),
              final: strict,
              sql,
              ...(options.write !== undefined ? { write: { reason: options.write } } : {}),
              statementTimeoutMs: ws.config.database.statementTimeout,
              lockTimeoutMs: ws.config.database.lockTimeout,
              consoleFunctions: ws.config.database.consoleFunctions,
            },
            {
              clock: ws.clock,
              audit: ws.audit,
              actor: await ws.actor(),
              ...(confirm ? { confirm } : {}),
            },
          );
          if (globalsOf(command).json)
            return printJson(io, {
              ok: true,
              environment,
              mode: result.mode,
              role: result.role ?? null,
              functions: result.functions,
              results: result.results.map((r) => ({
                command: r.command,
                rowCount: r.rowCount,
                rows: r.rows,
              })),
            });
          for (const r of result.results) {
            if (r.fields.length > 0)
              io.stdout(
                `${renderTable(
                  r.rows.map((row) => r.fields.map((f) => formatCell(row[f]))),
                  r.fields,
                )}\n(${r.rowCount ?? r.rows.length} row${r.rows.length === 1 ? '' : 's'})\n`,
              );
            else io.stdout(`${r.command}${r.rowCount !== null ? ` ${r.rowCount}` : ''}\n`);
          }
        }),
    );
}

/** The pinned value of a vault secret, or undefined when the vault or the pin does not exist. */
async function readPinnedSecret(
  ws: Workspace,
  name: string,
  environment: string,
): Promise<string | undefined> {
  const secrets = await import('../../secrets/index.js');
  // An empty vault needs no key: reading must not create one.
  if (secrets.storedMasterKeyId(ws.store) === undefined) return undefined;
  const { vault } = secrets.openSecretVault({
    store: ws.store,
    clock: ws.clock,
    env: ws.env,
    stateDir: ws.paths.state,
  });
  const pin = new secrets.SecretPins(ws.store, ws.clock).get({ name, environment });
  if (!pin) return undefined;
  const value = await vault.accessVersion({ name, environment }, pin.version);
  ws.knownSecrets.add(value);
  const password = (() => {
    try {
      return decodeURIComponent(new URL(value).password);
    } catch {
      return '';
    }
  })();
  if (password) ws.knownSecrets.add(password);
  return value;
}

function renderSummary(summary: SqlWriteSummary): string {
  const lines = summary.statements.map(
    (s, i) => `  ${i + 1}. ${s.command}${s.rowCount !== null ? ` ${s.rowCount} row(s)` : ''}`,
  );
  return `About to COMMIT on ${summary.environment} (${summary.rowsAffected} row(s) changed; reason: ${summary.reason}):\n${lines.join('\n')}\n`;
}

async function promptCommit(io: CliIo, summary: SqlWriteSummary): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    // Unanswered, it rolls back before the server's idle timeout would end the transaction.
    const signal = AbortSignal.any([io.signal, AbortSignal.timeout(WRITE_IDLE_TIMEOUT_MS - 10_000)]);
    const answer = await rl.question(
      `${renderSummary(summary)}Commit? Type "commit" within ${(WRITE_IDLE_TIMEOUT_MS - 10_000) / 1000}s to confirm: `,
      { signal },
    );
    return answer.trim().toLowerCase() === 'commit';
  } catch {
    return false;
  } finally {
    rl.close();
  }
}

function formatCell(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
