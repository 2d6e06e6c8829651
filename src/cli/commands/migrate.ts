import type { Command } from 'commander';
import { migrationTarget } from '../../app/migration-target.js';
import { withAuditAnchor } from '../../audit/index.js';
import { assertEnvironment, loadConfig } from '../../config/index.js';
import {
  createMigration,
  expandLintPaths,
  LINT_RULES,
  lintFiles,
  type MigrateDeployResult,
  type MigrateToolResult,
  migrationsDirOf,
  migrationToolOf,
  openScratchServer,
  readMigrationHistory,
  readStatusMatrix,
  readToolStatusMatrix,
  resolveDatabaseTarget,
  resolveShadowUrl,
  runMigrateDeploy,
  runMigrateResolve,
  runMigrateRollback,
  runMigrateTool,
  runVerifyRollback,
  toSarif,
} from '../../database/index.js';
import { cloudSqlBackupFor } from '../../gcp/index.js';
import { UsageError } from '../../kernel/errors.js';
import { redactText } from '../../kernel/redact.js';
import type { CliIo } from '../io.js';
import { printJson, renderTable, SYMBOL, verdictSymbol } from '../render.js';
import {
  addOverrideOptions,
  globalsOf,
  pairOverrides,
  parseDurationOption,
  styleOf,
  typedArgs,
  withWorkspace,
} from './shared.js';

export function register(program: Command, io: CliIo): void {
  const migrate = program
    .command('migrate')
    .description('Prisma migrations: new, status, deploy, lint, resolve, verify-rollback, rollback');

  migrate
    .command('new <name>')
    .description('create <timestamp>_<name>/ with migration.sql and down.sql (the rollback plan)')
    .action(async (name: string, _options: unknown, command: Command) =>
      withWorkspace(io, command, async (ws) => {
        const created = createMigration(migrationsDirOf(ws.config), name, ws.clock.now());
        if (globalsOf(command).json) return printJson(io, created);
        io.stdout(`Created ${created.name}\n${created.files.map((f) => `  ${f}`).join('\n')}\n`);
      }),
    );

  migrate
    .command('status')
    .description(
      'migration × environment matrix. Exit code bitmap: 1 pending, 2 failed, 4 edited/missing/out-of-order, 8 unreachable',
    )
    .option('--env <name>', 'only this environment')
    .option('--all', 'every environment (the default)')
    .action(async (options: { env?: string; all?: boolean }, command: Command) =>
      withWorkspace(io, command, async (ws) => {
        if (options.env) assertEnvironment(ws.config, options.env);
        const names = options.env ? [options.env] : ws.config.environmentOrder;
        const tool = migrationToolOf(ws.config);
        const prisma = tool ? undefined : readMigrationHistory(migrationsDirOf(ws.config));
        const history = { dir: tool?.dir ?? prisma!.dir };
        const matrix = prisma
          ? await readStatusMatrix(ws.config, ws.env, prisma, names)
          : await readToolStatusMatrix(ws.config, ws.env, tool!, names);
        io.setExitCode(matrix.exitCode);
        if (globalsOf(command).json) return printJson(io, matrix);
        const s = styleOf(command, io);
        const paint = (state: string) =>
          state === 'applied'
            ? s.ok(`${SYMBOL.pass} applied`)
            : state === 'pending'
              ? s.warn('pending')
              : state === 'unknown'
                ? s.dim('?')
                : state === 'not-configured'
                  ? s.dim('-')
                  : s.bad(`${SYMBOL.fail} ${state}`);
        if (matrix.migrations.length === 0) io.stdout(`No migrations in ${history.dir}.\n`);
        else
          io.stdout(
            `${renderTable(
              matrix.migrations.map((m) => [m, ...names.map((env) => paint(matrix.cells[m]![env]!))]),
              ['MIGRATION', ...names],
            )}\n`,
          );
        for (const env of matrix.environments)
          if (env.error) io.stdout(`${s.bad(SYMBOL.fail)} ${env.environment}: ${env.error}\n`);
          else if (env.notConfigured)
            io.stdout(
              s.dim(
                `- ${env.environment}: not configured (no environments.${env.environment}.database), left out of the exit code\n`,
              ),
            );
        for (const env of matrix.environments) {
          for (const entry of env.status?.entries ?? [])
            if (entry.state === 'failed' && entry.logs)
              io.stdout(
                `${s.bad(SYMBOL.fail)} ${env.environment}: ${entry.name} failed:\n    ${redactText(entry.logs).split('\n').join('\n    ')}\n`,
              );
        }
        io.stdout(
          s.dim(
            `exit code ${matrix.exitCode} (1 pending · 2 failed · 4 edited/missing/out-of-order · 8 unreachable)\n`,
          ),
        );
      }),
    );

  addOverrideOptions(
    migrate
      .command('deploy <env>')
      .description('apply pending migrations: staging first, lint, tested rollback and backup on production')
      .option('--no-rollback', 'deploy migrations that cannot be rolled back (needs --reason)')
      .option('--wait <duration>', 'wait this long for the environment lock'),
  ).action(
    async (
      environment: string,
      options: { override?: string[]; reason?: string; rollback?: boolean; wait?: string },
      command: Command,
    ) =>
      withWorkspace(io, command, async (ws) => {
        const { overrides, reason } = pairOverrides(typedArgs(command));
        if (options.rollback === false && !reason)
          throw new UsageError(
            'PRODGUARD_MIGRATE_REASON_MISSING',
            '--no-rollback needs --reason "<why it cannot be undone>".',
            {
              hint: 'Example: --no-rollback --reason "drops the legacy sessions table; data archived in S3"',
            },
          );
        const waitMs = parseDurationOption('--wait', options.wait);
        const tool = migrationToolOf(ws.config);
        if (tool) {
          const done = await runMigrateTool(
            { environment, overrides, ...(waitMs !== undefined ? { waitMs } : {}) },
            {
              tool,
              config: ws.config,
              store: ws.store,
              audit: ws.audit,
              clock: ws.clock,
              processes: ws.processes,
              env: ws.env,
              cwd: ws.config.root,
              actor: await ws.actor(),
            },
          );
          io.setExitCode(done.error ? (done.error.code === 'PRODGUARD_MIGRATE_REFUSED' ? 1 : 3) : 0);
          if (globalsOf(command).json)
            return printJson(io, withAuditAnchor({ ok: !done.error, ...done }, ws.audit));
          return renderToolDeploy(io, command, done);
        }
        const result = await runMigrateDeploy(
          {
            environment,
            history: readMigrationHistory(migrationsDirOf(ws.config)),
            overrides,
            ...(options.rollback === false ? { noRollbackReason: reason! } : {}),
            ...(waitMs !== undefined ? { waitMs } : {}),
          },
          {
            config: ws.config,
            store: ws.store,
            audit: ws.audit,
            clock: ws.clock,
            processes: ws.processes,
            env: ws.env,
            cwd: ws.config.root,
            actor: await ws.actor(),
            ops: ws.operations,
            cloudSqlBackup: cloudSqlBackupFor(ws.config, { env: ws.env, clock: ws.clock }),
          },
        );
        io.setExitCode(result.error ? (result.error.code === 'PRODGUARD_MIGRATE_REFUSED' ? 1 : 3) : 0);
        if (globalsOf(command).json)
          return printJson(io, withAuditAnchor({ ok: !result.error, ...result }, ws.audit));
        renderDeploy(io, command, result);
      }),
  );

  migrate
    .command('lint [paths...]')
    .description('flag dangerous DDL with the lock it takes and the safe way (default: every migration)')
    .option('--sarif', 'SARIF 2.1.0 output')
    .option('--all', 'also list warnings (default: errors, and warnings count)')
    .action(async (paths: string[], options: { sarif?: boolean; all?: boolean }, command: Command) => {
      const run = async (root: string, defaults: string[]) => {
        const files = expandLintPaths(paths.length > 0 ? paths : defaults, io.cwd);
        const results = await lintFiles(files, root);
        const blocking = results.reduce((n, r) => n + r.blocking, 0);
        io.setExitCode(blocking > 0 ? 1 : 0);
        if (options.sarif) return printJson(io, toSarif(results, LINT_RULES));
        if (globalsOf(command).json) return printJson(io, { ok: blocking === 0, blocking, files: results });
        const s = styleOf(command, io);
        let warnings = 0;
        for (const r of results) {
          for (const f of r.findings) {
            if (f.severity === 'warning') warnings++;
            if (f.severity === 'warning' && !options.all) continue;
            const label = f.ignored
              ? s.dim('ignored')
              : f.severity === 'error'
                ? s.bad('error')
                : s.warn('warning');
            io.stdout(`${f.file}:${f.line}:${f.column}  ${label}  ${s.bold(f.rule)}  ${f.message}\n`);
            io.stdout(s.dim(`    ${f.statement}\n`));
            if (f.ignored) io.stdout(s.dim(`    ignored: ${f.ignored.reason}\n`));
            else io.stdout(`    lock:  ${f.lock}\n    safer: ${f.safer}\n`);
          }
        }
        io.stdout(
          `${blocking > 0 ? s.bad(SYMBOL.fail) : s.ok(SYMBOL.pass)} ${results.length} file(s), ${blocking} blocking finding(s), ${warnings} warning(s)${warnings > 0 && !options.all ? ' (--all shows them)' : ''}\n`,
        );
      };
      // Lint reads files only: no state store, and with paths it works without prodguard.yaml.
      const globals = globalsOf(command);
      let config: ReturnType<typeof loadConfig> | undefined;
      try {
        config = loadConfig({ cwd: io.cwd, ...(globals.config ? { file: globals.config } : {}) });
      } catch (error) {
        if (paths.length === 0) throw error;
      }
      return run(config?.root ?? io.cwd, config ? [migrationsDirOf(config)] : []);
    });

  migrate
    .command('resolve <env>')
    .description("mark a migration as applied or rolled back, with `prisma migrate resolve`'s semantics")
    .option('--applied <name>', 'record it as applied (you completed it by hand)')
    .option('--rolled-back <name>', 'record a failed migration as rolled back (it left no changes)')
    .action(
      async (environment: string, options: { applied?: string; rolledBack?: string }, command: Command) =>
        withWorkspace(io, command, async (ws) => {
          if (Boolean(options.applied) === Boolean(options.rolledBack))
            throw new UsageError(
              'PRODGUARD_MIGRATE_RESOLVE_USAGE',
              'Pass exactly one of --applied <name> or --rolled-back <name>.',
            );
          const target = resolveDatabaseTarget(ws.config, environment, ws.env);
          const result = await runMigrateResolve(
            {
              environment,
              url: target.url,
              history: readMigrationHistory(migrationsDirOf(ws.config)),
              name: (options.applied ?? options.rolledBack)!,
              as: options.applied ? 'applied' : 'rolled-back',
            },
            { clock: ws.clock, audit: ws.audit, actor: await ws.actor() },
          );
          if (globalsOf(command).json) return printJson(io, { ok: true, ...result });
          io.stdout(
            `${styleOf(command, io).ok(SYMBOL.pass)} ${result.name} recorded as ${result.as} on ${environment}\n`,
          );
        }),
    );

  migrate
    .command('verify-rollback <env>')
    .description("on a scratch copy of the environment's history: up, down.sql, up again; compare schemas")
    .action(async (environment: string, _options: unknown, command: Command) =>
      withWorkspace(io, command, async (ws) => {
        const target = migrationTarget(ws, environment);
        const scratch = await openScratchServer(resolveShadowUrl(ws.config, ws.env));
        try {
          const result = await runVerifyRollback(target, {
            clock: ws.clock,
            store: ws.store,
            audit: ws.audit,
            actor: await ws.actor(),
            scratch,
          });
          io.setExitCode(result.ok ? 0 : 3);
          if (globalsOf(command).json) return printJson(io, withAuditAnchor(result, ws.audit));
          const s = styleOf(command, io);
          if (result.checks.length === 0)
            io.stdout(`No pending migrations on ${environment}: nothing to verify.\n`);
          for (const c of result.checks) {
            io.stdout(
              `${c.ok ? s.ok(SYMBOL.pass) : s.bad(SYMBOL.fail)} ${c.migration}${c.ok ? ': up → down → up gives identical schemas' : `: ${c.problem}`}\n`,
            );
            for (const d of [...c.downDifferences, ...c.reapplyDifferences].slice(0, 10))
              io.stdout(
                `    ${d.change} ${d.kind} ${d.object}${d.expected ? `\n      expected: ${d.expected}` : ''}${d.actual ? `\n      found:    ${d.actual}` : ''}\n`,
              );
          }
          io.stdout(
            s.dim(`scratch: ${scratch.description}; replayed ${result.replayed} applied migration(s)\n`),
          );
        } finally {
          await scratch.close();
        }
      }),
    );

  migrate
    .command('rollback <env> <name>')
    .description("run the newest applied migration's verified down.sql; Prisma then sees it as not applied")
    .action(async (environment: string, name: string, _options: unknown, command: Command) =>
      withWorkspace(io, command, async (ws) => {
        const target = migrationTarget(ws, environment);
        const result = await runMigrateRollback(
          {
            ...target,
            name,
          },
          {
            clock: ws.clock,
            store: ws.store,
            audit: ws.audit,
            actor: await ws.actor(),
            ops: ws.operations,
            processes: ws.processes,
            cwd: ws.config.root,
            env: ws.env,
          },
        );
        if (globalsOf(command).json) return printJson(io, { ok: true, ...result });
        io.stdout(
          `${styleOf(command, io).ok(SYMBOL.pass)} ${name} rolled back on ${environment} in ${result.durationMs}ms${result.backup ? ` (backup #${result.backup.id} first: ${result.backup.path})` : ''}\n`,
        );
      }),
    );
}

function renderToolDeploy(io: CliIo, command: Command, result: MigrateToolResult): void {
  const s = styleOf(command, io);
  for (const v of result.evaluation?.verdicts ?? []) {
    if (v.status === 'skipped') continue;
    io.stdout(`${verdictSymbol(v.status, s)} ${v.id}: ${v.message}\n`);
    if (v.status === 'fail' && v.hint) io.stdout(`    fix: ${v.hint}\n`);
    if (v.status === 'overridden') io.stdout(`    overridden: ${v.overrideReason}\n`);
  }
  for (const w of result.warnings) io.stdout(`${s.warn(SYMBOL.warn)} ${w}\n`);
  if (result.output) io.stdout(s.dim(`${result.output.trimEnd().replace(/^/gm, `    ${result.tool}| `)}\n`));
  if (result.error) {
    io.stdout(`${s.bad(SYMBOL.fail)} ${result.error.message.split('\n')[0]}\n`);
    if (result.error.hint) io.stdout(`    hint: ${result.error.hint}\n`);
  } else if (result.tool === 'command')
    io.stdout(`${s.ok(SYMBOL.pass)} the migration command ran on ${result.environment}\n`);
  else if (result.pending.length === 0)
    io.stdout(
      `${s.ok(SYMBOL.pass)} ${result.environment} is up to date: no pending ${result.tool} migrations.\n`,
    );
  else
    io.stdout(
      `${s.ok(SYMBOL.pass)} ${result.applied.length} ${result.tool} migration(s) applied to ${result.environment}: ${result.applied.join(', ')}\n`,
    );
}

function renderDeploy(io: CliIo, command: Command, result: MigrateDeployResult): void {
  const s = styleOf(command, io);
  for (const v of result.evaluation?.verdicts ?? []) {
    if (v.status === 'skipped') continue;
    const mark = verdictSymbol(v.status, s);
    io.stdout(`${mark} ${v.id}: ${v.message}\n`);
    if (v.status === 'fail' && v.hint) io.stdout(`    fix: ${v.hint}\n`);
    if (v.status === 'overridden') io.stdout(`    overridden: ${v.overrideReason}\n`);
  }
  for (const w of result.warnings) io.stdout(`${s.warn(SYMBOL.warn)} ${w}\n`);
  if (result.steps.length === 0) {
    io.stdout(`${s.ok(SYMBOL.pass)} ${result.environment} is up to date: no pending migrations.\n`);
    return;
  }
  for (const step of result.steps) {
    const mark =
      step.status === 'Success'
        ? s.ok(SYMBOL.pass)
        : step.status === 'Error'
          ? s.bad(SYMBOL.fail)
          : s.dim(SYMBOL.skipped);
    io.stdout(
      `${mark} ${step.name}${step.durationMs !== undefined ? ` (${step.durationMs}ms)` : step.status === 'NotExecuted' ? ' (not run)' : ''}\n`,
    );
    if (step.error && step.status === 'Error') io.stdout(`    ${step.error.split('\n').join('\n    ')}\n`);
  }
  if (result.error) {
    io.stdout(`${s.bad(SYMBOL.fail)} ${result.error.message.split('\n')[0]}\n`);
    if (result.error.hint) io.stdout(`    hint: ${result.error.hint}\n`);
  } else
    io.stdout(
      `${s.ok(SYMBOL.pass)} ${result.applied.length} migration(s) applied to ${result.environment}\n`,
    );
}

/** An environment's database, its migration history and the configured timeouts: what most database commands start from. */
