import { chmodSync, cpSync, existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AuditLog } from '../audit/index.js';
import { type Config, loadConfig } from '../config/index.js';
import { type Clock, systemClock } from '../kernel/clock.js';
import { createLogger, type Logger } from '../kernel/logger.js';
import { makeOwnerOnlyDir, makePrivateDir } from '../kernel/private-dir.js';
import { nodeProcessRunner, type ProcessRunner } from '../kernel/process-runner.js';
import { OperationStore } from '../operations/index.js';
import { RULE_IDS } from '../rules/index.js';
import { StateStore } from '../store/index.js';
import { resolveActor } from './resolve-actor.js';

/**
 * Everything a command needs, opened once: trusted config, state store, audit log and the ports.
 * Core functions take the narrow parts they use; only the CLI and the demo open a whole workspace.
 */
export interface Workspace {
  readonly cwd: string;
  readonly config: Config;
  readonly store: StateStore;
  readonly audit: AuditLog;
  /** The operation kernel's journal for this workspace; the CLI attaches the team notices to it. */
  readonly operations: OperationStore;
  readonly clock: Clock;
  readonly processes: ProcessRunner;
  readonly log: Logger;
  /** The environment variables prodguard was started with (only loadConfig/openWorkspace read process.env). */
  readonly env: NodeJS.ProcessEnv;
  readonly paths: WorkspacePaths;
  /** Exact secret values this process has handled; every output path masks them. */
  readonly knownSecrets: Set<string>;
  actor(): Promise<string>;
  close(): void;
}

export interface WorkspacePaths {
  readonly state: string;
  readonly database: string;
  readonly logs: string;
  readonly artifacts: string;
  readonly backups: string;
}

export interface OpenWorkspaceOptions {
  cwd: string;
  configFile?: string;
  clock?: Clock;
  processes?: ProcessRunner;
  env?: NodeJS.ProcessEnv;
  log?: Logger;
}

export function workspacePaths(config: Config): WorkspacePaths {
  const state = config.stateDirPath;
  return {
    state,
    database: join(state, 'state.db'),
    logs: join(state, 'logs'),
    artifacts: config.artifactsDirPath,
    backups: join(state, 'backups'),
  };
}

/**
 * The state folder holds the vault key, the state database, backups and the agent token: 0700, its
 * database 0600, whatever the umask. Existing folders from older versions are tightened on open.
 */
export function secureStateDir(paths: WorkspacePaths): void {
  makeOwnerOnlyDir(paths.state);
  if (existsSync(paths.backups)) {
    chmodSync(paths.backups, 0o700);
    // Dumps written by older versions were 0644.
    for (const entry of readdirSync(paths.backups, { withFileTypes: true }))
      if (entry.isFile()) chmodIfPresent(join(paths.backups, entry.name), 0o600);
  }
}

/**
 * Releases used to be built under `<stateDir>/artifacts`, inside the project's tree, where test runners and
 * coverage tools found copies of the app. Moves them (and their records) to the artifacts folder outside.
 */
export function moveLegacyArtifacts(legacy: string, target: string): void {
  if (legacy === target || !existsSync(legacy)) return;
  makePrivateDir(dirname(target));
  if (!existsSync(target)) {
    try {
      renameSync(legacy, target);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    }
  }
  makePrivateDir(target);
  for (const name of readdirSync(legacy)) {
    const to = join(target, name);
    if (!existsSync(to)) cpSync(join(legacy, name), to, { recursive: true, verbatimSymlinks: true });
  }
  rmSync(legacy, { recursive: true, force: true });
}

/** Owner-only: the file and SQLite's side files when present. */
export function secureFile(path: string): void {
  for (const file of [path, `${path}-wal`, `${path}-shm`]) chmodIfPresent(file, 0o600);
}

/**
 * chmod that tolerates the file vanishing: another prodguard process closing the last connection to the
 * store deletes its -wal and -shm files at any moment, so checking first and then chmod-ing races.
 */
function chmodIfPresent(path: string, mode: number): void {
  try {
    chmodSync(path, mode);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

export function openWorkspace(options: OpenWorkspaceOptions): Workspace {
  const config = loadConfig({
    cwd: options.cwd,
    knownRuleIds: RULE_IDS,
    ...(options.configFile ? { file: options.configFile } : {}),
  });
  const env = options.env ?? process.env;
  const clock = options.clock ?? systemClock;
  const processes = options.processes ?? nodeProcessRunner;
  const paths = workspacePaths(config);
  secureStateDir(paths);
  // Not under a running agent: its revisions run from those folders (moved once it is down).
  if (!existsSync(join(paths.state, 'agent', 'agent.json'))) {
    moveLegacyArtifacts(join(paths.state, 'artifacts'), paths.artifacts);
  }
  const store = StateStore.open(paths.database);
  secureFile(paths.database);
  const knownSecrets = new Set<string>();
  const log =
    options.log ??
    createLogger({
      level: env.PRODGUARD_LOG_LEVEL === 'debug' ? 'debug' : 'warn',
      write: (line) => process.stderr.write(line),
      knownSecrets: () => [...knownSecrets],
    });
  let actor: Promise<string> | undefined;
  const audit = new AuditLog(store, clock, () => [...knownSecrets]);
  return {
    cwd: options.cwd,
    config,
    store,
    audit,
    operations: new OperationStore(store, clock, audit),
    clock,
    processes,
    log,
    env,
    paths,
    knownSecrets,
    actor: () => {
      actor ??= resolveActor(env, processes, config.root);
      return actor;
    },
    close: () => store.close(),
  };
}
