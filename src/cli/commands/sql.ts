import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { resolveDatabaseTarget, runSqlSession } from '../../database/index.js';
import { UsageError } from '../../kernel/errors.js';
import type { CliIo } from '../io.js';
import { printJson, renderTable } from '../render.js';
import { addOverrideOptions, globalsOf, parseOverrides, withWorkspace } from './shared.js';

export function register(program: Command, io: CliIo): void {
  addOverrideOptions(
    program
      .command('sql <env>')
      .description(
        'guarded SQL console: read-only on production unless --write --reason; no DDL or password changes there',
      )
      .option('-c, --command <sql>', 'SQL to run (otherwise --file, or stdin)')
      .option('--file <path>', 'read SQL from this file')
      .option('--write', 'allow INSERT/UPDATE/DELETE on the final environment (needs --reason; audited)'),
  ).action(
    async (
      environment: string,
      options: { command?: string; file?: string; write?: boolean; override?: string[]; reason?: string },
      command: Command,
    ) =>
      withWorkspace(io, command, async (ws) => {
        const sql =
          options.command ??
          (options.file ? readFileSync(resolve(io.cwd, options.file), 'utf8') : await io.readStdin());
        if (!sql.trim())
          throw new UsageError('PRODGUARD_SQL_EMPTY', 'No SQL given.', {
            hint: 'Use -c "SELECT …", --file q.sql, or pipe it on stdin.',
          });
        const target = resolveDatabaseTarget(ws.config, environment, ws.env);
        const overrides = options.write ? [] : parseOverrides(options.override, options.reason);
        const result = await runSqlSession(
          {
            environment,
            url: target.url,
            final: target.final,
            sql,
            write: options.write === true,
            ...(options.reason ? { reason: options.reason } : {}),
            overrides,
            statementTimeoutMs: ws.config.database.statementTimeout,
          },
          { config: ws.config, clock: ws.clock, audit: ws.audit, actor: await ws.actor() },
        );
        if (globalsOf(command).json)
          return printJson(io, {
            ok: true,
            environment,
            mode: result.mode,
            results: result.results.map((r) => ({ command: r.command, rowCount: r.rowCount, rows: r.rows })),
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

function formatCell(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
