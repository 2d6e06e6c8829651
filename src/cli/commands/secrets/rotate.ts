import { type Command, Option } from 'commander';
import { withAuditAnchor } from '../../../audit/index.js';
import { planRotationCalls } from '../../../deploy/index.js';
import { UsageError } from '../../../kernel/errors.js';
import { createLogger } from '../../../kernel/logger.js';
import {
  abortRotation,
  listRotations,
  type RotateSecretResult,
  type RotationStrategy,
  readRotation,
  rotateSecret,
  rotationFreezeChecks,
} from '../../../secrets/index.js';
import type { CliIo } from '../../io.js';
import { printJson, renderTable, type Style, SYMBOL, verdictSymbol } from '../../render.js';
import { PLAN_FLAG_HELP, runPlanFlag } from '../plan-flag.js';
import {
  addOverrideOptions,
  globalsOf,
  parseDurationOption,
  parseOverrides,
  styleOf,
  withWorkspace,
} from '../shared.js';
import { renderNotes, withSecrets } from './session.js';

/** The strategies a user may ask for; random secrets are always regenerated. */
const CHOSEN_STRATEGIES = ['alternating', 'single-user'] as const satisfies readonly RotationStrategy[];

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

interface RotateOptions {
  env: string;
  strategy?: (typeof CHOSEN_STRATEGIES)[number];
  resume?: boolean;
  abort?: boolean;
  previousRetired?: boolean;
  wait?: string;
  override?: string[];
  reason?: string;
  plan?: boolean;
  role?: string;
  commit?: string;
}

/** `secrets rotate` and `secrets rotations` (the journal). */
export function registerRotate(secrets: Command, io: CliIo): void {
  addOverrideOptions(
    secrets
      .command('rotate')
      .description(
        'rotate a secret as a journaled, resumable operation (postgres: alternating users by default)',
      )
      .argument('<name>')
      .requiredOption('--env <env>', 'environment')
      .addOption(
        new Option(
          '--strategy <strategy>',
          'postgres: alternating (zero downtime, two roles) or single-user (the seed protocol); random secrets are regenerated',
        ).choices(CHOSEN_STRATEGIES),
      )
      .addOption(
        new Option(
          '--resume',
          'continue the interrupted rotation of this secret from its last completed step',
        ).conflicts('abort'),
      )
      .option('--abort', 'abandon the interrupted rotation (re-pins the version it started from when safe)')
      .option(
        '--previous-retired',
        'confirm no revision still runs the previously pinned version (when no platform can tell)',
      )
      .option('--wait <duration>', 'wait this long for the environment lock')
      .option('--plan', PLAN_FLAG_HELP)
      .option('--role <role>', 'with --plan: the Cloud SQL user whose password changes')
      .option('--commit <rev>', 'with --plan: the release the rollout redeploys (default: HEAD)'),
  ).action(async (name: string, options: RotateOptions, command: Command) => {
    const env = options.env;
    if (options.plan)
      return withWorkspace(io, command, async (ws) => {
        if (!options.role)
          throw new UsageError(
            'PRODGUARD_GCP_USAGE',
            '--plan needs --role <user>: the Cloud SQL user whose password changes.',
          );
        const role = options.role;
        return runPlanFlag(io, command, ws, env, `rotation of ${name}`, (target) =>
          planRotationCalls(ws, target, {
            environment: env,
            secret: name,
            role,
            ...(options.commit ? { commit: options.commit } : {}),
          }),
        );
      });
    const overrides = parseOverrides(command);
    const lockWaitMs = parseDurationOption('--wait', options.wait);
    await withSecrets(io, command, { running: env, roller: true }, async ({ ws, ctx, key, notes, roles }) => {
      const s = styleOf(command, io);
      if (options.abort) {
        const record = await abortRotation(
          ctx,
          { name, environment: env },
          { key, ...(lockWaitMs ? { lockWaitMs } : {}) },
        );
        if (globalsOf(command).json)
          return printJson(io, withAuditAnchor({ ok: true, rotation: record }, ws.audit));
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
          ...(options.strategy ? { strategy: options.strategy } : {}),
          ...(options.resume ? { resume: true } : {}),
          ...(options.previousRetired ? { previousRetired: true } : {}),
          overrides,
        },
        {
          postgres: roles(env),
          key,
          checks: rotationFreezeChecks(ws.config, ws.store),
          signal: io.signal,
          ...(lockWaitMs ? { lockWaitMs } : {}),
        },
      );
      result.notes.unshift(...notes);
      io.setExitCode(result.outcome === 'succeeded' ? 0 : 3);
      if (globalsOf(command).json)
        return printJson(io, withAuditAnchor({ ok: result.outcome === 'succeeded', ...result }, ws.audit));
      renderRotation(io, s, result);
    });
  });

  secrets
    .command('rotations')
    .description('the rotation journal: recent rotations and, with --id, their steps')
    .argument('[name]')
    .option('--env <env>', 'only this environment')
    .option('--id <rotation>', 'show the steps of one rotation')
    .action(async (name: string | undefined, options: { env?: string; id?: string }, command: Command) =>
      withSecrets(io, command, {}, async ({ ctx, key }) => {
        if (options.id) {
          const { rotation, steps } = readRotation(ctx, key, options.id);
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
        const rows = listRotations(ctx, key, {
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
}
