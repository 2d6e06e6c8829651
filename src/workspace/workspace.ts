import { join } from 'node:path';
import { AuditLog } from '../audit/index.js';
import { type Config, loadConfig } from '../config/index.js';
import { type Clock, systemClock } from '../kernel/clock.js';
import { createLogger, type Logger } from '../kernel/logger.js';
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
    artifacts: join(state, 'artifacts'),
    backups: join(state, 'backups'),
  };
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
  const store = StateStore.open(paths.database);
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
