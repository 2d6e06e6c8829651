import { formatAuditAnchor, recordAuditAnchor, runAudited } from '../audit/index.js';
import { planReleaseTagName, releaseTagCandidates } from '../freeze/index.js';
import { ProdguardError } from '../kernel/errors.js';
import {
  GitFacts,
  type PreflightDeps,
  type PreflightResult,
  recordReleaseMark,
  runPreflight,
} from '../preflight/index.js';
import { isInScope, type RuleOverride } from '../rules/index.js';
import { withEnvironmentLock } from '../store/index.js';

export interface RunGuardedOptions {
  environment: string;
  /** The user's own deploy command and its arguments (e.g. gcloud run deploy …). */
  command: readonly string[];
  note?: string;
  overrides?: readonly RuleOverride[];
  waitMs?: number;
  onOutput?: (chunk: string, stream: 'stdout' | 'stderr') => void;
  signal?: AbortSignal;
}

export interface RunGuardedResult {
  environment: string;
  preflight: PreflightResult;
  exitCode: number | null;
  durationMs: number;
  /** The annotated rollback tag created after a successful run on the final environment. */
  tag?: string;
  commit: string;
}

export class PreflightRefusedError extends ProdguardError {
  readonly preflight: PreflightResult;
  constructor(preflight: PreflightResult) {
    const blocking = preflight.checks.filter((c) => c.status === 'fail');
    super(
      'PRODGUARD_PREFLIGHT_REFUSED',
      `Refused: ${blocking.length} check(s) block ${preflight.env}: ${blocking.map((c) => `${c.id} (${c.message})`).join('; ')}`,
      {
        kind: 'refused',
        hint: `Fix them, or --override ${blocking[0]?.id ?? '<rule>'} --reason "<why>" (audited).`,
        details: { preflight },
      },
    );
    this.preflight = preflight;
  }
}

/**
 * The seed's manual deploy (§5), made safe for any deploy tool: checklist, environment lock, the user's
 * command, then the rollback tag and a release mark — every step audited.
 */
export async function runGuarded(deps: PreflightDeps, options: RunGuardedOptions): Promise<RunGuardedResult> {
  const preflight = await runPreflight(deps, {
    environment: options.environment,
    action: 'run',
    ...(options.note !== undefined ? { note: options.note } : {}),
    overrides: options.overrides ?? [],
  });
  const actor = await deps.actor();
  const commandLine = options.command.join(' ');
  if (!preflight.ok) {
    deps.audit.append({
      actor,
      environment: options.environment,
      action: 'run',
      target: commandLine,
      outcome: 'refused',
      details: { blocking: preflight.checks.filter((c) => c.status === 'fail').map((c) => c.id) },
    });
    throw new PreflightRefusedError(preflight);
  }
  const git = new GitFacts(deps.config.root, deps.processes, deps.env);
  const commit = await git.head();
  return withEnvironmentLock(
    deps.store,
    {
      environment: options.environment,
      operation: `run ${commandLine}`,
      owner: actor,
      clock: deps.clock,
      waitMs: options.waitMs ?? 0,
    },
    async () =>
      (
        await runAudited(
          deps.audit,
          {
            actor,
            environment: options.environment,
            action: 'run',
            target: commandLine,
            reason: options.note,
            details: { commit },
          },
          () => runCommandAndTag(deps, options, { actor, commit, commandLine, git, preflight }),
          (result) => ({ details: { tag: result.tag, durationMs: result.durationMs } }),
        )
      ).value,
  );
}

/** The user's command, then on success the rollback tag (anchoring the audit head) and the release mark. */
async function runCommandAndTag(
  deps: PreflightDeps,
  options: RunGuardedOptions,
  facts: { actor: string; commit: string; commandLine: string; git: GitFacts; preflight: PreflightResult },
): Promise<RunGuardedResult> {
  const { actor, commit, commandLine, git, preflight } = facts;
  const [file, ...args] = options.command;
  const result = await deps.processes.run(file!, args, {
    cwd: deps.config.root,
    env: { ...deps.env, PRODGUARD_ENV: options.environment, PRODGUARD_COMMIT: commit },
    ...(options.onOutput ? { onOutput: options.onOutput } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    maxBuffer: 64 * 1024,
  });
  if (result.failed) {
    throw new ProdguardError(
      'PRODGUARD_RUN_FAILED',
      `${commandLine} ${result.spawnError ? `could not start: ${result.spawnError}` : `exited with ${result.exitCode ?? result.signal}`} on ${options.environment}.`,
      {
        kind: 'failed',
        hint: "Nothing was tagged. If traffic moved, roll back (prodguard rollback, or your platform's traffic command).",
        details: { exitCode: result.exitCode, signal: result.signal, durationMs: result.durationMs },
      },
    );
  }
  let tag: string | undefined;
  // The tag's annotation anchors the audit chain: its head now (the intent of this run) lives in git too.
  const head = deps.audit.head();
  if (isInScope('final', options.environment, deps.config)) {
    tag = await createRollbackTag(git, {
      name: planReleaseTagName(deps.config.releaseTag, deps.clock.now(), deps.config.timezone, {
        environment: options.environment,
        commit,
      }),
      commit,
      message: [
        `Production deployment of ${commit.slice(0, 12)} by ${actor}${options.note ? `: ${options.note}` : ''}`,
        ...(head ? ['', formatAuditAnchor(head)] : []),
      ].join('\n'),
    });
  }
  recordReleaseMark(deps.store, {
    environment: options.environment,
    commit,
    ...(tag ? { tag } : {}),
    at: deps.clock.now(),
  });
  if (head) {
    const at = deps.clock.now().toISOString();
    if (tag) recordAuditAnchor(deps.store, { ...head, at, kind: 'git-tag', destination: tag });
    recordAuditAnchor(deps.store, {
      ...head,
      at,
      kind: 'release-mark',
      destination: `${options.environment}@${commit}`,
    });
  }
  return {
    environment: options.environment,
    preflight,
    exitCode: result.exitCode,
    durationMs: result.durationMs,
    ...(tag ? { tag } : {}),
    commit,
  };
}

/** The first free name among the candidates (a second release in one minute gets name-2). */
async function createRollbackTag(
  git: GitFacts,
  tag: { name: string; commit: string; message: string },
): Promise<string> {
  for (const candidate of releaseTagCandidates(tag.name)) {
    if (await git.tagExists(candidate)) continue;
    await git.text(['tag', '-a', candidate, '-m', tag.message, tag.commit]);
    return candidate;
  }
  throw new ProdguardError(
    'PRODGUARD_RUN_TAG_TAKEN',
    `Every rollback tag name for this minute (${tag.name}…) is taken.`,
    {
      hint: 'The command ran and succeeded; tag the release by hand: git tag -a <name> <commit>.',
    },
  );
}
