import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { openSecretsSession, type SecretsSession, type SecretsSessionOptions } from '../../app/index.js';
import { ProdguardError, UsageError } from '../../kernel/errors.js';
import { createLogger } from '../../kernel/logger.js';
import { OperationStore } from '../../operations/index.js';
import {
  abortRotation,
  addSecretVersion,
  changeVersionState,
  destroySecretVersion,
  getSecretStatus,
  normalizeSecretInput,
  parseMasterKey,
  pgRoleAdmin,
  pinSecretVersion,
  purgeDueVersions,
  type RotateSecretResult,
  RotationJournal,
  type RotationStrategy,
  revealSecret,
  rotateMasterKey,
  rotateSecret,
  rotationFreezeChecks,
  SECRET_KINDS,
  type SecretKind,
  setupRoles,
} from '../../secrets/index.js';
import type { Workspace } from '../../workspace/index.js';
import type { CliIo } from '../io.js';
import { printJson, renderTable, type Style, SYMBOL, verdictSymbol } from '../render.js';
import {
  addOverrideOptions,
  globalsOf,
  parseDurationOption,
  parseOverrides,
  styleOf,
  withWorkspace,
} from './shared.js';

interface SessionView extends SecretsSession {
  ws: Workspace;
}

/** Opens the secrets session for one command and closes it whatever happens. */
async function withSecrets<T>(
  io: CliIo,
  command: Command,
  options: SecretsSessionOptions,
  fn: (session: SessionView) => Promise<T>,
): Promise<T> {
  return withWorkspace(io, command, async (ws) => {
    const session = await openSecretsSession(ws, options);
    try {
      return await fn({ ...session, ws });
    } finally {
      await session.close();
    }
  });
}

function requireEnv(env: string | undefined, usage: string): string {
  if (!env) {
    throw new UsageError('PRODGUARD_USAGE_ENV_MISSING', `--env is required: ${usage}`, {
      hint: 'Name the environment, e.g. --env staging.',
    });
  }
  return env;
}

function parseVersion(text: string): number {
  const version = Number(text);
  if (!Number.isInteger(version) || version < 1) {
    throw new UsageError('PRODGUARD_USAGE_VERSION', `"${text}" is not a version number.`, {
      hint: 'Versions are numbered from 1; list them with `prodguard secrets versions <name> --env <env>`.',
    });
  }
  return version;
}

function parseKind(text: string | undefined): SecretKind | undefined {
  if (text === undefined) return undefined;
  if (!(SECRET_KINDS as readonly string[]).includes(text)) {
    throw new UsageError('PRODGUARD_USAGE_KIND', `--kind "${text}" is not a secret kind.`, {
      hint: `Expected one of: ${SECRET_KINDS.join(', ')}.`,
    });
  }
  return text as SecretKind;
}

function day(iso: string | null | undefined): string {
  return iso ? iso.slice(0, 10) : '-';
}

function renderNotes(io: CliIo, s: Style, notes: readonly string[]): void {
  for (const note of notes) io.stdout(s.dim(`note: ${note}\n`));
}

async function readValue(io: CliIo, fromFile: string | undefined): Promise<string> {
  if (fromFile) {
    try {
      return normalizeSecretInput(readFileSync(resolve(io.cwd, fromFile), 'utf8'));
    } catch (cause) {
      throw new UsageError('PRODGUARD_USAGE_FILE', `Cannot read --from-file ${fromFile}.`, { cause });
    }
  }
  if (io.stdinIsTTY) {
    throw new UsageError(
      'PRODGUARD_SECRET_VALUE_EMPTY',
      'No value: stdin is a terminal and no --from-file was given.',
      {
        hint: 'Pipe the value: `printf \'%s\' "$VALUE" | prodguard secrets add NAME --env ENV`, or --from-file <file>.',
      },
    );
  }
  return normalizeSecretInput(await io.readStdin());
}

function renderRotation(io: CliIo, s: Style, result: RotateSecretResult): void {
  const r = result.rotation;
  io.stdout(
    `${s.bold(`Rotation ${r.id}`)}: ${r.name} (${r.environment}), ${r.strategy}${r.role ? `, role ${r.role}` : ''}\n`,
  );
  for (const v of result.evaluation?.verdicts ?? []) {
    if (v.status === 'skipped') continue;
    const mark = verdictSymbol(v.status, s);
    io.stdout(
      `  ${mark} rule ${v.id}: ${v.message}${v.overrideReason ? ` (overridden: ${v.overrideReason})` : ''}\n`,
    );
  }
  for (const step of result.steps) {
    const mark =
      step.status === 'Success'
        ? s.ok(SYMBOL.pass)
        : step.status === 'Error'
          ? s.bad(SYMBOL.fail)
          : step.status === 'Skipped'
            ? s.dim('↷')
            : s.dim(SYMBOL.skipped);
    io.stdout(
      `  ${mark} ${step.name.padEnd(11)} ${step.detail ?? (step.status === 'NotExecuted' ? s.dim('not run') : '')}\n`,
    );
  }
  renderNotes(io, s, result.notes);
  if (result.outcome === 'succeeded') {
    io.stdout(
      `${s.ok(SYMBOL.pass)} ${r.name} v${r.toVersion} pinned in ${r.environment} (was v${r.fromVersion}).\n`,
    );
  } else if (result.error) {
    io.stderr(`error ${result.error.code}: ${result.error.message}\n`);
    if (result.error.hint) io.stderr(`  hint: ${result.error.hint}\n`);
  }
}

export function register(program: Command, io: CliIo): void {
  const secrets = program
    .command('secrets')
    .description('versioned, encrypted secrets: add, pin, rotate, status (values never on the command line)');

  secrets
    .command('add')
    .description('add a new immutable version; the value comes from stdin or --from-file, never from argv')
    .argument('<name>', 'secret name = the environment variable the app reads, e.g. DATABASE_URL')
    .argument('[value...]', 'refused: values on the command line leak into shell history and `ps`')
    .option('--env <env>', 'environment')
    .option('--kind <kind>', `postgres | random | external (default: the existing secret's, else external)`)
    .option('--from-file <file>', 'read the value from this file (one trailing newline is dropped)')
    .action(
      async (
        name: string,
        argvValue: string[],
        options: { env?: string; kind?: string; fromFile?: string },
        command: Command,
      ) => {
        // `secrets add NAME=VALUE`: the value is glued to the name; name only what precedes '='.
        if (name.includes('=')) {
          const shown = name.slice(0, name.indexOf('='));
          throw new UsageError(
            'PRODGUARD_SECRET_VALUE_IN_ARGV',
            `Refusing a value for ${shown || 'the secret'} on the command line (NAME=VALUE): it is now in your shell history and visible to \`ps\`.`,
            {
              hint: `Pipe it instead: prodguard secrets add ${shown || 'NAME'} --env <env> < file (or --from-file <file>), and consider the value you typed exposed.`,
            },
          );
        }
        if (argvValue.length > 0) {
          throw new UsageError(
            'PRODGUARD_SECRET_VALUE_IN_ARGV',
            `Refusing a value for ${name} on the command line: it is now in your shell history and visible to \`ps\`.`,
            {
              hint: `Pipe it instead: prodguard secrets add ${name} --env <env> < file (or --from-file <file>), and consider the value you typed exposed.`,
            },
          );
        }
        const env = requireEnv(options.env, 'prodguard secrets add <name> --env <env>');
        const kind = parseKind(options.kind);
        const value = await readValue(io, options.fromFile);
        await withSecrets(io, command, {}, async ({ ctx }) => {
          const result = await addSecretVersion(ctx, {
            name,
            environment: env,
            value,
            ...(kind ? { kind } : {}),
          });
          const out = {
            ok: true,
            name,
            environment: env,
            version: result.version.version,
            kind: result.kind,
            metadata: result.version.metadata,
            pinned: result.pinned ? result.pinned.version : null,
          };
          if (globalsOf(command).json) return printJson(io, out);
          const s = styleOf(command, io);
          io.stdout(`${s.ok(SYMBOL.pass)} Added ${name} v${out.version} (${env}, ${out.kind})\n`);
          if (result.pinned)
            io.stdout(`${s.ok(SYMBOL.pass)} Pinned v${out.version}: it is the first version\n`);
          else io.stdout(`Pin it when ready: prodguard secrets pin ${name} ${out.version} --env ${env}\n`);
        });
      },
    );

  secrets
    .command('list')
    .description('secrets per environment with their pinned and latest versions')
    .option('--env <env>', 'only this environment')
    .action(async (options: { env?: string }, command: Command) =>
      withSecrets(io, command, {}, async ({ ctx }) => {
        const rows = await getSecretStatus(ctx, options.env ? { environment: options.env } : {});
        if (globalsOf(command).json) {
          return printJson(io, {
            secrets: rows.map((r) => ({
              name: r.name,
              environment: r.environment,
              kind: r.kind,
              pinnedVersion: r.pinnedVersion,
              latestVersion: r.latestVersion,
              enabledVersions: r.enabledVersions,
            })),
          });
        }
        if (rows.length === 0)
          return io.stdout('No secrets yet. Add one: prodguard secrets add NAME --env ENV < file\n');
        io.stdout(
          `${renderTable(
            rows.map((r) => [
              r.environment,
              r.name,
              r.kind,
              r.pinnedVersion ? `v${r.pinnedVersion}` : '-',
              r.latestVersion ? `v${r.latestVersion}` : '-',
              String(r.enabledVersions),
            ]),
            ['ENV', 'NAME', 'KIND', 'PINNED', 'LATEST', 'ENABLED'],
          )}\n`,
        );
      }),
    );

  secrets
    .command('versions')
    .description('every version of a secret: state, age, who added it, which is pinned')
    .argument('<name>')
    .option('--env <env>', 'environment')
    .action(async (name: string, options: { env?: string }, command: Command) => {
      const env = requireEnv(options.env, 'prodguard secrets versions <name> --env <env>');
      await withSecrets(io, command, {}, async ({ ctx }) => {
        await purgeDueVersions(ctx);
        const ref = { name, environment: env };
        const secret = await ctx.vault.getSecret(ref);
        if (!secret) {
          throw new ProdguardError('PRODGUARD_SECRET_NOT_FOUND', `Secret ${name} does not exist in ${env}.`, {
            kind: 'usage',
            hint: `prodguard secrets list --env ${env}`,
          });
        }
        const versions = await ctx.vault.listVersions(ref);
        const pin = ctx.pins.get(ref);
        if (globalsOf(command).json) {
          return printJson(io, {
            name,
            environment: env,
            kind: secret.kind,
            pinnedVersion: pin?.version ?? null,
            versions,
          });
        }
        const s = styleOf(command, io);
        io.stdout(
          `${renderTable(
            versions.map((v) => [
              `${v.version === pin?.version ? '*' : ' '}v${v.version}`,
              v.state === 'enabled'
                ? s.ok(v.state)
                : v.state === 'disabled'
                  ? s.warn(v.state)
                  : s.dim(v.state),
              v.createdAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
              v.createdBy,
              typeof v.metadata.role === 'string' ? v.metadata.role : '-',
              v.destroyAfter
                ? `${v.state === 'destroyed' ? 'destroyed at' : 'destruction scheduled for'} ${(v.state === 'destroyed' ? v.stateChangedAt : v.destroyAfter).replace('T', ' ').replace(/\.\d+Z$/, 'Z')}`
                : typeof v.metadata.rotation === 'string'
                  ? v.metadata.rotation
                  : '',
            ]),
            ['VERSION', 'STATE', 'CREATED', 'BY', 'ROLE', 'NOTE'],
          )}\n`,
        );
        io.stdout(s.dim(`* pinned in ${env}\n`));
      });
    });

  secrets
    .command('pin')
    .description('pin a version: new revisions of the environment start with exactly this version')
    .argument('<name>')
    .argument('<version>')
    .option('--env <env>', 'environment')
    .option('--reason <text>', 'why (audited)')
    .action(
      async (
        name: string,
        versionText: string,
        options: { env?: string; reason?: string },
        command: Command,
      ) => {
        const env = requireEnv(options.env, 'prodguard secrets pin <name> <version> --env <env>');
        const version = parseVersion(versionText);
        await withSecrets(io, command, {}, async ({ ctx }) => {
          const pin = await pinSecretVersion(ctx, {
            name,
            environment: env,
            version,
            ...(options.reason ? { reason: options.reason } : {}),
          });
          if (globalsOf(command).json) return printJson(io, { ok: true, ...pin });
          const s = styleOf(command, io);
          io.stdout(
            `${s.ok(SYMBOL.pass)} ${name} pinned to v${pin.version} in ${env}${pin.previousVersion ? ` (was v${pin.previousVersion})` : ''}; new revisions start with it.\n`,
          );
        });
      },
    );

  for (const state of ['disable', 'enable'] as const) {
    secrets
      .command(state)
      .description(
        state === 'disable'
          ? 'disable a version (refused while pinned or running)'
          : 'enable a version; cancels a scheduled destruction',
      )
      .argument('<name>')
      .argument('<version>')
      .option('--env <env>', 'environment')
      .action(async (name: string, versionText: string, options: { env?: string }, command: Command) => {
        const env = requireEnv(options.env, `prodguard secrets ${state} <name> <version> --env <env>`);
        const version = parseVersion(versionText);
        await withSecrets(
          io,
          command,
          state === 'disable' ? { running: env } : {},
          async ({ ctx, notes }) => {
            const info = await changeVersionState(ctx, {
              name,
              environment: env,
              version,
              state: state === 'disable' ? 'disabled' : 'enabled',
            });
            if (globalsOf(command).json) return printJson(io, { ok: true, version: info, notes });
            const s = styleOf(command, io);
            io.stdout(`${s.ok(SYMBOL.pass)} ${name} v${version} (${env}) is ${info.state}\n`);
            renderNotes(io, s, notes);
          },
        );
      });
  }

  secrets
    .command('destroy')
    .description('schedule destruction of a version after the grace period (secrets.destroyGracePeriod)')
    .argument('<name>')
    .argument('<version>')
    .option('--env <env>', 'environment')
    .action(async (name: string, versionText: string, options: { env?: string }, command: Command) => {
      const env = requireEnv(options.env, 'prodguard secrets destroy <name> <version> --env <env>');
      const version = parseVersion(versionText);
      await withSecrets(io, command, { running: env }, async ({ ctx, notes }) => {
        const result = await destroySecretVersion(ctx, { name, environment: env, version });
        const allNotes = [
          ...notes,
          ...result.warnings.filter((w) => !notes.length || !w.includes('running revisions')),
        ];
        if (globalsOf(command).json) return printJson(io, { ok: true, ...result, notes: allNotes });
        const s = styleOf(command, io);
        io.stdout(
          `${s.ok(SYMBOL.pass)} ${name} v${version} (${env}) disabled; its value is erased after ${result.destroyAfter}. Cancel with: prodguard secrets enable ${name} ${version} --env ${env}\n`,
        );
        renderNotes(io, s, allNotes);
      });
    });

  secrets
    .command('get')
    .description('print a value (the pinned version by default); needs --reveal and is audited')
    .argument('<name>')
    .option('--env <env>', 'environment')
    .option('--version <n>', 'this version instead of the pinned one')
    .option('--reveal', 'really print the value')
    .option('--reason <text>', 'why you need it (audited)')
    .action(
      async (
        name: string,
        options: { env?: string; version?: string; reveal?: boolean; reason?: string },
        command: Command,
      ) => {
        const env = requireEnv(options.env, 'prodguard secrets get <name> --env <env> --reveal');
        const version = options.version !== undefined ? parseVersion(options.version) : undefined;
        await withSecrets(io, command, {}, async ({ ctx }) => {
          const result = await revealSecret(ctx, {
            name,
            environment: env,
            reveal: options.reveal === true,
            ...(version !== undefined ? { version } : {}),
            ...(options.reason ? { reason: options.reason } : {}),
          });
          if (globalsOf(command).json) return printJson(io, result);
          io.stdout(`${result.value}\n`);
        });
      },
    );

  secrets
    .command('status')
    .description('rotation schedule: age, next due date, overdue secrets in red (exit 1 when any is overdue)')
    .option('--env <env>', 'only this environment')
    .action(async (options: { env?: string }, command: Command) =>
      withSecrets(io, command, {}, async ({ ctx }) => {
        const rows = await getSecretStatus(ctx, options.env ? { environment: options.env } : {});
        const overdue = rows.filter((r) => r.state !== 'ok');
        if (overdue.length > 0) io.setExitCode(1);
        if (globalsOf(command).json) return printJson(io, { ok: overdue.length === 0, secrets: rows });
        if (rows.length === 0) return io.stdout('No secrets yet.\n');
        const s = styleOf(command, io);
        io.stdout(
          `${renderTable(
            rows.map((r) => {
              const paint = r.state === 'ok' ? s.ok : s.bad;
              return [
                r.environment,
                r.name,
                r.kind,
                r.pinnedVersion ? `v${r.pinnedVersion}` : '-',
                r.ageDays === null ? '-' : `${r.ageDays}d`,
                `${r.rotationEveryDays}d`,
                day(r.nextDue),
                paint(r.state === 'ok' ? (r.rotatable ? 'ok' : 'ok (reminder)') : r.state),
                day(r.lastRotation),
              ];
            }),
            ['ENV', 'NAME', 'KIND', 'PINNED', 'AGE', 'EVERY', 'NEXT DUE', 'STATE', 'LAST ROTATED'],
          )}\n`,
        );
      }),
    );

  addOverrideOptions(
    secrets
      .command('rotate')
      .description(
        'rotate a secret as a journaled, resumable operation (postgres: alternating users by default)',
      )
      .argument('<name>')
      .option('--env <env>', 'environment')
      .option('--strategy <strategy>', 'alternating | single-user (postgres); random secrets are regenerated')
      .option('--resume', 'continue the interrupted rotation of this secret from its last completed step')
      .option('--abort', 'abandon the interrupted rotation (re-pins the version it started from when safe)')
      .option(
        '--previous-retired',
        'confirm no revision still runs the previously pinned version (when no platform can tell)',
      )
      .option('--wait <duration>', 'wait this long for the environment lock'),
  ).action(
    async (
      name: string,
      options: {
        env?: string;
        strategy?: string;
        resume?: boolean;
        abort?: boolean;
        previousRetired?: boolean;
        wait?: string;
        override?: string[];
        reason?: string;
      },
      command: Command,
    ) => {
      const env = requireEnv(options.env, 'prodguard secrets rotate <name> --env <env>');
      if (options.strategy && !['alternating', 'single-user'].includes(options.strategy)) {
        throw new UsageError(
          'PRODGUARD_USAGE_STRATEGY',
          `--strategy "${options.strategy}" is not a rotation strategy.`,
          {
            hint: 'Expected alternating (zero downtime, two roles) or single-user (the seed protocol).',
          },
        );
      }
      const overrides = parseOverrides(command);
      const lockWaitMs = parseDurationOption('--wait', options.wait);
      await withSecrets(io, command, { running: env, roller: true }, async ({ ws, ctx, key, notes }) => {
        const s = styleOf(command, io);
        if (options.abort) {
          const record = await abortRotation(
            ctx,
            { name, environment: env },
            { key, ...(lockWaitMs ? { lockWaitMs } : {}) },
          );
          if (globalsOf(command).json) return printJson(io, { ok: true, rotation: record });
          io.stdout(`${s.ok(SYMBOL.pass)} Rotation ${record.id} aborted after step "${record.step}".\n`);
          return;
        }
        // Waiting for a password to propagate can take minutes: show each attempt (values are masked).
        const progress = globalsOf(command).json
          ? ctx
          : {
              ...ctx,
              log: createLogger({
                level: 'info',
                write: (line) => io.stderr(s.dim(line)),
                knownSecrets: () => [...ctx.knownSecrets],
              }),
            };
        const result = await rotateSecret(
          progress,
          {
            name,
            environment: env,
            ...(options.strategy ? { strategy: options.strategy as RotationStrategy } : {}),
            ...(options.resume ? { resume: true } : {}),
            ...(options.previousRetired ? { previousRetired: true } : {}),
            overrides,
          },
          {
            postgres: pgRoleAdmin,
            key,
            checks: rotationFreezeChecks(ws.config, ws.store),
            signal: io.signal,
            ...(lockWaitMs ? { lockWaitMs } : {}),
          },
        );
        result.notes.unshift(...notes);
        io.setExitCode(result.outcome === 'succeeded' ? 0 : 3);
        if (globalsOf(command).json) return printJson(io, { ok: result.outcome === 'succeeded', ...result });
        renderRotation(io, s, result);
      });
    },
  );

  secrets
    .command('rotations')
    .description('the rotation journal: recent rotations and, with --id, their steps')
    .argument('[name]')
    .option('--env <env>', 'only this environment')
    .option('--id <rotation>', 'show the steps of one rotation')
    .action(async (name: string | undefined, options: { env?: string; id?: string }, command: Command) =>
      withSecrets(io, command, {}, async ({ ctx, key }) => {
        const journal = new RotationJournal(new OperationStore(ctx.store, ctx.clock, ctx.audit), key);
        if (options.id) {
          const rotation = journal.get(options.id);
          if (!rotation)
            throw new UsageError('PRODGUARD_SECRET_ROTATION_NOT_FOUND', `No rotation ${options.id}.`);
          const steps = journal.steps(options.id);
          if (globalsOf(command).json) return printJson(io, { rotation, steps });
          io.stdout(
            `${rotation.id}: ${rotation.name} (${rotation.environment}) ${rotation.strategy}, ${rotation.status}\n`,
          );
          io.stdout(
            `${renderTable(
              steps.map((st) => [String(st.seq), st.at, st.step, st.phase, st.detail ?? '']),
              ['#', 'AT', 'STEP', 'PHASE', 'DETAIL'],
            )}\n`,
          );
          return;
        }
        const rows = journal.list({
          ...(name ? { name } : {}),
          ...(options.env ? { environment: options.env } : {}),
        });
        if (globalsOf(command).json) return printJson(io, { rotations: rows });
        if (rows.length === 0) return io.stdout('No rotations yet.\n');
        io.stdout(
          `${renderTable(
            rows.map((r) => [
              r.id,
              r.environment,
              r.name,
              r.strategy,
              r.status,
              r.step,
              `v${r.fromVersion ?? '-'} → v${r.toVersion ?? '?'}`,
              r.error ?? '',
            ]),
            ['ROTATION', 'ENV', 'NAME', 'STRATEGY', 'STATUS', 'LAST STEP', 'VERSIONS', 'ERROR'],
          )}\n`,
        );
      }),
    );

  secrets
    .command('setup-roles')
    .description(
      'create the group role and its two login members for alternating rotation (admin secret needed)',
    )
    .argument('[name]', 'the database secret', 'DATABASE_URL')
    .option('--env <env>', 'environment')
    .action(async (name: string, options: { env?: string }, command: Command) => {
      const env = requireEnv(options.env, 'prodguard secrets setup-roles --env <env>');
      await withSecrets(io, command, {}, async ({ ws, ctx }) => {
        const result = await setupRoles(
          ctx,
          { name, environment: env, readonlySecret: ws.config.database.readonlySecret },
          { postgres: pgRoleAdmin },
        );
        if (globalsOf(command).json) return printJson(io, { ok: true, ...result });
        const s = styleOf(command, io);
        io.stdout(
          `${s.ok(SYMBOL.pass)} Group role ${result.group} with login members ${result.members.join(', ')}${result.created.length ? ` (created: ${result.created.join(', ')})` : ' (all existed)'}\n`,
        );
        if (result.addedVersion !== undefined) {
          io.stdout(
            `${s.ok(SYMBOL.pass)} Added and pinned ${name} v${result.addedVersion} (${env}) logging in as ${result.members[0]}\n`,
          );
        }
        const ro = result.readonly;
        io.stdout(
          `${s.ok(SYMBOL.pass)} Read-only role ${ro.role} for \`prodguard sql\`${ro.created ? ' (created)' : ''}${ro.addedVersion !== undefined ? `; added and pinned ${ro.secret} v${ro.addedVersion} (${env})` : ''}\n`,
        );
        for (const warning of ro.warnings) io.stdout(`${s.warn(SYMBOL.warn)} ${warning}\n`);
      });
    });

  secrets
    .command('rotate-master-key')
    .description('re-encrypt every secret under a new master key, in one transaction')
    .option(
      '--new-key-stdin',
      'read the new key (base64/hex, 32 bytes) from stdin; required when PRODGUARD_MASTER_KEY is used',
    )
    .action(async (options: { newKeyStdin?: boolean }, command: Command) =>
      withSecrets(io, command, {}, async ({ ws, ctx, key }) => {
        let newKey: Buffer | undefined;
        if (options.newKeyStdin) newKey = parseMasterKey(await io.readStdin(), 'stdin');
        else if (key.source === 'env') {
          throw new UsageError(
            'PRODGUARD_SECRET_KEY_INVALID',
            'The master key comes from PRODGUARD_MASTER_KEY; prodguard cannot store a new one there.',
            {
              hint: 'Generate one (openssl rand -base64 32), pass it with --new-key-stdin, then update PRODGUARD_MASTER_KEY.',
            },
          );
        }
        const result = rotateMasterKey({
          store: ctx.store,
          clock: ctx.clock,
          audit: ctx.audit,
          actor: ctx.actor,
          stateDir: ws.paths.state,
          current: key,
          ...(newKey ? { newKey } : {}),
        });
        if (globalsOf(command).json) return printJson(io, { ok: true, ...result });
        const s = styleOf(command, io);
        io.stdout(
          `${s.ok(SYMBOL.pass)} Re-encrypted ${result.reencrypted} values under key ${result.keyId} (was ${result.previousKeyId})\n`,
        );
        if (result.storage === 'env')
          io.stdout(s.warn('Now set PRODGUARD_MASTER_KEY to the new key everywhere prodguard runs.\n'));
        else io.stdout(`${s.ok(SYMBOL.pass)} New key written to ${result.file} (mode 0600)\n`);
      }),
    );
}
