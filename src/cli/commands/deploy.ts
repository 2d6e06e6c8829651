import { type Command, Option } from 'commander';
import { type AuditHead, withAuditAnchor } from '../../audit/index.js';
import {
  DeployEvents,
  type DeployResult,
  type DeployStrategy,
  describeBreach,
  type OpenedPipeline,
  type OpenPipelineOptions,
  openPipeline,
  parseSteps,
  planDeployCalls,
  runDeploy,
} from '../../deploy/index.js';
import { formatDuration } from '../../kernel/duration.js';
import { ExitCode, UsageError } from '../../kernel/errors.js';
import { redactValue } from '../../kernel/redact.js';
import { preflightDeployChecks } from '../../preflight/index.js';
import type { Verdict } from '../../rules/index.js';
import type { Workspace } from '../../workspace/index.js';
import type { CliIo } from '../io.js';
import { type Style, SYMBOL, verdictSymbol } from '../render.js';
import { renderOperationEvents } from '../render-operation.js';
import { PLAN_FLAG_HELP, runPlanFlag } from './plan-flag.js';
import {
  addOverrideOptions,
  globalsOf,
  pairOverrides,
  parseDurationOption,
  styleOf,
  typedArgs,
  withWorkspace,
} from './shared.js';

const pct = (fraction: number) => `${(fraction * 100).toFixed(1)} %`;
const secs = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

/**
 * Renders pipeline events as they happen: a line per step with its elapsed time, live numbers during
 * analysis; with --json one NDJSON object per event (secrets masked).
 */
export function renderDeployEvents(io: CliIo, events: DeployEvents, s: Style, json: boolean): void {
  renderOperationEvents(io, events, s, json);
  if (json) return;
  events.on('deploy:rules', (e) => io.stdout(`${renderVerdicts(e.verdicts, s)}\n`));
  events.on('deploy:plan', (e) => {
    const steps = e.steps.length === 1 ? 'all at once' : `canary ${e.steps.join(' → ')} %`;
    io.stdout(
      `\nDeploying ${e.commit.slice(0, 12)} to ${s.bold(e.environment)} (${e.operationId}): ${steps}, watch ${formatDuration(e.watchMs)}\n`,
    );
    io.stdout(
      s.dim(
        `  worst case: a clear failure (e.g. half the requests failing) detected in ${formatDuration(e.times.decisiveTimeToDetectMs)}, rolled back in ${formatDuration(e.times.decisiveTimeToRollbackMs)}; just past a threshold: detect ${formatDuration(e.times.timeToDetectMs)}, roll back ${formatDuration(e.times.timeToRollbackMs)}; with too little traffic: detect ${formatDuration(e.times.lowTrafficTimeToDetectMs)}, roll back ${formatDuration(e.times.lowTrafficTimeToRollbackMs)}\n`,
      ),
    );
  });
  events.on('analysis:sample', (e) =>
    io.stdout(
      s.dim(
        `      ${secs(e.elapsedMs).padStart(7)}  ${e.step.padEnd(11)} requests ${String(e.requests).padStart(5)}  errors ${pct(e.errorRate).padStart(7)}  p95 ${`${Math.round(e.p95Ms)}ms`.padStart(6)}  ${e.verdict}${e.consecutiveBreaches > 0 ? ` (${e.consecutiveBreaches} in a row)` : ''}\n`,
      ),
    ),
  );
  events.on('analysis:probes', (e) =>
    io.stdout(
      s.dim(`      insufficient data: sent ${e.sent} probes to ${e.revision} (${e.failed} failed)\n`),
    ),
  );
  events.on('deploy:breach', (e) =>
    io.stdout(
      `  ${s.bad(SYMBOL.fail)} breach on ${e.revision}: ${e.breaches.map(describeBreach).join('; ') || 'no signal'}\n`,
    ),
  );
  events.on('deploy:rolled-back', (e) =>
    io.stdout(
      `  ${s.warn('↩')} traffic back to ${e.restoredTraffic.map((t) => `${t.revision} ${t.percent} %`).join(', ') || '(nothing to return to)'}; ${e.failedRevision} marked failed\n`,
    ),
  );
}

function renderVerdicts(verdicts: readonly Verdict[], s: Style): string {
  const shown = verdicts.filter((v) => v.status !== 'skipped');
  const lines = shown.map((v) => {
    const mark = verdictSymbol(v.status, s);
    const extra = v.status === 'overridden' ? ` (overridden: ${v.overrideReason})` : '';
    const hint = v.status === 'fail' && v.hint ? `\n      ${s.dim(v.hint)}` : '';
    return `  ${mark} ${v.id.padEnd(22)} ${v.message}${extra}${hint}`;
  });
  return lines.join('\n');
}

/** Exit code of a deploy: 0 success, 1 refused by a rule, 3 failed or rolled back. */
export function deployExitCode(result: Pick<DeployResult, 'outcome'>): number {
  if (result.outcome === 'success') return ExitCode.ok;
  if (result.outcome === 'refused') return ExitCode.refused;
  return ExitCode.failed;
}

function renderResult(io: CliIo, result: DeployResult, s: Style): void {
  const mark = result.outcome === 'success' ? s.ok(SYMBOL.pass) : s.bad(SYMBOL.fail);
  io.stdout(`\n${mark} ${result.message}\n`);
  if (result.outcome === 'refused') {
    io.stdout(s.dim('  Override a rule only with a reason: --override <rule> --reason "<why>" (audited).\n'));
  }
  if (result.tag) io.stdout(`  rollback tag: ${result.tag}\n`);
}

interface DeployFlags {
  commit?: string;
  note?: string;
  strategy?: DeployStrategy;
  steps?: string;
  watch?: string;
  hotfix?: boolean;
  reason?: string;
  override?: string[];
  lockWait?: string;
  plan?: boolean;
}

export function register(program: Command, io: CliIo): void {
  const command = program
    .command('deploy')
    .description(
      'deploy a release: rules, staging-first, new revision, smoke, traffic steps with analysis, watch',
    )
    .argument('<env>', 'environment to deploy to')
    .option('--commit <rev>', 'commit, tag or branch to release (default: HEAD)')
    .option('--note <text>', 'what and why (documents the change)')
    .addOption(
      new Option('--strategy <name>', 'how traffic moves (default from deploy.strategy)').choices([
        'all-at-once',
        'canary',
      ] as const satisfies readonly DeployStrategy[]),
    )
    .option('--steps <list>', 'canary traffic steps, e.g. 10,50,100')
    .option('--watch <duration>', 'watch window after 100 % (default: watch in prodguard.yaml)')
    .option('--hotfix', 'roll forward over a failing revision or during an incident (needs --reason)')
    .option('--lock-wait <duration>', 'wait this long for the environment lock')
    .option('--plan', PLAN_FLAG_HELP);
  addOverrideOptions(command).action(async (env: string, flags: DeployFlags, cmd: Command) =>
    withWorkspace(io, cmd, async (ws) => {
      const json = Boolean(globalsOf(cmd).json);
      const s = styleOf(cmd, io);
      const paired = pairOverrides(typedArgs(cmd));
      if (flags.hotfix && !paired.reason) {
        throw new UsageError('PRODGUARD_DEPLOY_HOTFIX_REASON', '--hotfix needs --reason "<why>".', {
          hint: 'Example: --hotfix --reason "v41 leaks connections; fix verified on staging"',
        });
      }
      if (flags.plan)
        return runPlanFlag(io, cmd, ws, env, 'deploy', (target) =>
          planDeployCalls(ws, target, {
            environment: env,
            ...(flags.commit ? { commit: flags.commit } : {}),
            ...(flags.strategy ? { strategy: flags.strategy } : {}),
            ...(flags.steps ? { steps: parseSteps(flags.steps) } : {}),
          }),
        );
      const overrides = paired.overrides;
      const checks = preflightDeployChecks({ ...ws, logsDir: ws.paths.logs });
      await withDeployPipeline(io, cmd, ws, { signal: io.signal, checks }, async ({ pipeline }) => {
        const result = await runDeploy(
          pipeline.config,
          {
            environment: env,
            ...(flags.commit ? { commit: flags.commit } : {}),
            ...(flags.note ? { note: flags.note } : {}),
            ...(flags.strategy ? { strategy: flags.strategy } : {}),
            ...(flags.steps ? { steps: parseSteps(flags.steps) } : {}),
            ...(flags.watch ? { watchMs: parseDurationOption('--watch', flags.watch)! } : {}),
            ...(flags.hotfix ? { hotfix: { reason: paired.reason! } } : {}),
            ...(flags.lockWait ? { lockWaitMs: parseDurationOption('--lock-wait', flags.lockWait)! } : {}),
            overrides,
          },
          pipeline.deps,
        );
        if (json) printResultEvent(io, result, ws.audit);
        else renderResult(io, result, s);
        io.setExitCode(deployExitCode(result));
      });
    }),
  );
}

/** The final NDJSON line of a pipeline command: its result, secrets masked. */
export function printResultEvent(io: CliIo, result: object, audit: { head(): AuditHead | undefined }): void {
  // The audit head rides along: every CI log that keeps this output is an anchor for `audit verify`.
  io.stdout(`${JSON.stringify(redactValue({ event: 'result', ...withAuditAnchor(result, audit) }))}\n`);
}

/**
 * What every pipeline command does around its one core call: render the pipeline's events (human or
 * NDJSON), open the pipeline, and close it whatever happens.
 */
export async function withDeployPipeline<T>(
  io: CliIo,
  cmd: Command,
  ws: Workspace,
  options: Omit<OpenPipelineOptions, 'events'>,
  fn: (view: { pipeline: OpenedPipeline; json: boolean; s: Style }) => Promise<T>,
): Promise<T> {
  const json = Boolean(globalsOf(cmd).json);
  const s = styleOf(cmd, io);
  const events = new DeployEvents(ws.log);
  renderDeployEvents(io, events, s, json);
  const pipeline = await openPipeline(ws, { events, ...options });
  try {
    return await fn({ pipeline, json, s });
  } finally {
    await pipeline.close();
  }
}
