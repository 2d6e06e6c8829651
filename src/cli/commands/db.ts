import type { Command } from 'commander';
import { migrationTarget } from '../../app/migration-target.js';
import { withAuditAnchor } from '../../audit/index.js';
import {
  backupsDirOf,
  openScratchServer,
  readBackupRecords,
  redactUrl,
  resolveDatabaseTarget,
  resolveShadowUrl,
  runDriftCheck,
  runRestore,
  takeBackup,
} from '../../database/index.js';
import { UsageError } from '../../kernel/errors.js';
import type { CliIo } from '../io.js';
import { printJson, renderTable, SYMBOL } from '../render.js';
import { globalsOf, styleOf, withWorkspace } from './shared.js';

export function register(program: Command, io: CliIo): void {
  const db = program.command('db').description('database backups, restores and drift detection');

  db.command('backup <env>')
    .description('pg_dump (custom format), read back in full; path, size, duration and SHA-256 recorded')
    .option('--reason <text>', 'why (kept with the backup record)')
    .action(async (environment: string, options: { reason?: string }, command: Command) =>
      withWorkspace(io, command, async (ws) => {
        const target = resolveDatabaseTarget(ws.config, environment, ws.env);
        const record = await takeBackup(
          {
            environment,
            url: target.url,
            dir: backupsDirOf(ws.config),
            ...(options.reason ? { reason: options.reason } : {}),
          },
          {
            processes: ws.processes,
            clock: ws.clock,
            store: ws.store,
            cwd: ws.config.root,
            env: ws.env,
            audit: ws.audit,
            actor: await ws.actor(),
          },
        );
        if (globalsOf(command).json)
          return printJson(io, withAuditAnchor({ ok: true, backup: record }, ws.audit));
        io.stdout(
          `${styleOf(command, io).ok(SYMBOL.pass)} backup #${record.id} of ${environment}: ${record.path}\n    ${record.sizeBytes} bytes · ${record.entries} entries read back · ${record.durationMs}ms · sha256 ${record.sha256}\n`,
        );
      }),
    );

  db.command('backups')
    .description('list recorded backups')
    .option('--env <name>', 'only this environment')
    .action(async (options: { env?: string }, command: Command) =>
      withWorkspace(io, command, async (ws) => {
        const records = readBackupRecords(ws.store, options.env);
        if (globalsOf(command).json) return printJson(io, { backups: records });
        if (records.length === 0) return io.stdout('No backups recorded.\n');
        io.stdout(
          `${renderTable(
            records.map((r) => [
              `#${r.id}`,
              r.environment,
              r.finishedAt,
              String(r.sizeBytes),
              r.sha256.slice(0, 12),
              r.path,
            ]),
            ['ID', 'ENV', 'FINISHED', 'BYTES', 'SHA256', 'PATH'],
          )}\n`,
        );
      }),
    );

  db.command('restore <backup>')
    .description('restore a backup (id or .dump path) into a scratch database')
    .requiredOption('--into <url>', 'connection URL of an empty scratch database (or env:VARIABLE)')
    .action(async (backup: string, options: { into: string }, command: Command) =>
      withWorkspace(io, command, async (ws) => {
        const into = options.into.startsWith('env:') ? (ws.env[options.into.slice(4)] ?? '') : options.into;
        if (!URL.canParse(into) || !/^postgres(ql)?:$/.test(new URL(into).protocol))
          throw new UsageError(
            'PRODGUARD_DB_RESTORE_TARGET',
            options.into.startsWith('env:')
              ? `--into ${options.into}: the variable is not set or is not a postgresql:// URL.`
              : '--into is not a postgresql:// URL.',
            {
              hint: 'Pass the URL of an empty scratch database, e.g. --into env:SCRATCH_DATABASE_URL (keeps the password out of argv).',
            },
          );
        const environmentUrls: Record<string, string> = {};
        for (const environment of ws.config.environmentOrder) {
          try {
            environmentUrls[environment] = resolveDatabaseTarget(ws.config, environment, ws.env).url;
          } catch {
            // an environment without a reachable URL cannot be the target either
          }
        }
        const result = await runRestore(
          { backup, intoUrl: into, environmentUrls },
          {
            processes: ws.processes,
            clock: ws.clock,
            store: ws.store,
            cwd: ws.config.root,
            env: ws.env,
            audit: ws.audit,
            actor: await ws.actor(),
            ops: ws.operations,
          },
        );
        if (globalsOf(command).json)
          return printJson(io, withAuditAnchor({ ok: true, ...result, into: redactUrl(into) }, ws.audit));
        io.stdout(
          `${styleOf(command, io).ok(SYMBOL.pass)} restored ${result.backup ? `backup #${result.backup.id}` : result.path} into ${redactUrl(into)} in ${result.durationMs}ms\n`,
        );
      }),
    );

  db.command('drift <env>')
    .description(
      'replay the applied migrations into a scratch database and compare catalogs; exit 1 on drift',
    )
    .action(async (environment: string, _options: unknown, command: Command) =>
      withWorkspace(io, command, async (ws) => {
        const target = migrationTarget(ws, environment);
        const scratch = await openScratchServer(resolveShadowUrl(ws.config, ws.env));
        try {
          const result = await runDriftCheck(target, { clock: ws.clock, scratch });
          const drift = result.differences.length > 0;
          io.setExitCode(drift ? 1 : 0);
          ws.audit.append({
            actor: await ws.actor(),
            environment,
            action: 'db.drift',
            outcome: 'success',
            details: { differences: result.differences.length, replayed: result.replayed.length },
          });
          if (globalsOf(command).json) return printJson(io, { ok: !drift, ...result });
          const s = styleOf(command, io);
          for (const w of result.warnings) io.stdout(`${s.warn(SYMBOL.warn)} ${w}\n`);
          if (!drift) {
            io.stdout(
              `${s.ok(SYMBOL.pass)} ${environment} matches its ${result.replayed.length} applied migration(s) (${result.durationMs}ms)\n`,
            );
            return;
          }
          io.stdout(
            `${s.bad(SYMBOL.fail)} ${environment} drifted from its migrations: ${result.differences.length} difference(s)\n`,
          );
          for (const d of result.differences) {
            io.stdout(
              `  ${d.change === 'unexpected' ? '+' : d.change === 'missing' ? '-' : '~'} ${d.kind} ${d.object} (${d.change})\n`,
            );
            if (d.expected !== undefined)
              io.stdout(s.dim(`      migrations: ${d.expected.split('\n')[0]}\n`));
            if (d.actual !== undefined) io.stdout(s.dim(`      database:   ${d.actual.split('\n')[0]}\n`));
          }
          io.stdout(
            s.dim('A change made by hand: write it as a migration (prodguard migrate new), or revert it.\n'),
          );
        } finally {
          await scratch.close();
        }
      }),
    );
}
