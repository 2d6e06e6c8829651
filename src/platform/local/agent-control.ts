import { readFileSync } from 'node:fs';
import type { Config } from '../../config/index.js';
import type { Clock } from '../../kernel/clock.js';
import { isProdguardError } from '../../kernel/errors.js';
import { makePrivateDir } from '../../kernel/private-dir.js';
import { tailLines } from '../../kernel/process-runner.js';
import type { Service } from '../platform.js';
import { agentPaths } from './agent-paths.js';
import type { AgentInfo } from './agent-server.js';
import { ensureAgentToken } from './agent-token.js';
import { connectLocalPlatform } from './connect-local-platform.js';
import { platformError } from './platform-errors.js';
import type { RevisionUser } from './revision-user.js';
import { readAgentPidFile } from './run-agent.js';
import { spawnDetached } from './service-spawner.js';

export interface AgentStatus {
  running: boolean;
  url: string;
  pid?: number;
  startedAt?: string;
  /** Who the running agent's revisions run as. */
  revisionUser?: RevisionUser;
  services: Service[];
}

/** Asks the agent of this workspace who it is; `running: false` when nothing answers. */
export async function readAgentStatus(config: Config): Promise<AgentStatus> {
  const paths = agentPaths(config.stateDirPath, config.artifactsDirPath);
  const url = readAgentPidFile(paths)?.url ?? `http://127.0.0.1:${config.app.agentPort}`;
  let platform: ReturnType<typeof connectLocalPlatform>;
  try {
    platform = connectLocalPlatform(config);
  } catch {
    return { running: false, url, services: [] };
  }
  try {
    const info: AgentInfo = await platform.agentInfo();
    return {
      running: true,
      url: platform.baseUrl,
      pid: info.pid,
      startedAt: info.startedAt,
      ...(info.revisionUser ? { revisionUser: info.revisionUser } : {}),
      services: await platform.listServices(),
    };
  } catch (error) {
    if (isProdguardError(error) && error.code === 'PRODGUARD_PLATFORM_AGENT_DOWN')
      return { running: false, url, services: [] };
    if (isProdguardError(error) && error.code === 'PRODGUARD_PLATFORM_UNAUTHORIZED') {
      throw platformError(
        'PRODGUARD_PLATFORM_AGENT_FOREIGN',
        `Something answers on ${platform.baseUrl} but refuses this workspace's token (${paths.token}).`,
        {
          kind: 'usage',
          hint: "Another workspace's agent holds the port (or this workspace's token file was replaced): stop it with `prodguard down` from its own folder, or give this workspace another app.agentPort.",
          cause: error,
        },
      );
    }
    throw error;
  } finally {
    await platform.close();
  }
}

export interface StartAgentDetachedOptions {
  config: Config;
  clock: Clock;
  /** `node` and the CLI entry: the agent is `prodguard up` in the background. */
  command: { file: string; args: readonly string[] };
  env: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export interface StartAgentDetachedResult extends AgentStatus {
  alreadyRunning: boolean;
  log: string;
}

/** Starts `prodguard up` in the background and waits until its API answers (or reports why it did not). */
export async function startAgentDetached(
  options: StartAgentDetachedOptions,
): Promise<StartAgentDetachedResult> {
  const paths = agentPaths(options.config.stateDirPath, options.config.artifactsDirPath);
  // The token first: an agent of another workspace on our port is then recognised before anything starts.
  makePrivateDir(paths.dir);
  ensureAgentToken(paths.token);
  const current = await readAgentStatus(options.config);
  if (current.running) return { ...current, alreadyRunning: true, log: paths.agentLog };
  const child = spawnDetached(options.command.file, options.command.args, {
    cwd: options.config.root,
    env: options.env,
    logFile: paths.agentLog,
  });
  let exitCode: number | null | undefined;
  void child.exited.then((code) => {
    exitCode = code;
  });
  const deadline = options.clock.nowMs() + (options.timeoutMs ?? 30_000);
  while (options.clock.nowMs() < deadline) {
    await options.clock.sleep(100);
    if (exitCode !== undefined) break;
    const status = await readAgentStatus(options.config);
    if (status.running && status.pid === child.pid)
      return { ...status, alreadyRunning: false, log: paths.agentLog };
  }
  let log = '';
  try {
    log = tailLines(readFileSync(paths.agentLog, 'utf8'), 15);
  } catch {
    // no output yet
  }
  throw platformError(
    'PRODGUARD_PLATFORM_AGENT_DOWN',
    exitCode !== undefined
      ? `The agent exited (code ${exitCode}) before answering.`
      : `The agent did not answer within ${options.timeoutMs ?? 30_000} ms.`,
    { hint: `Its output (${paths.agentLog}):\n${log || '(empty)'}` },
  );
}

export interface StopAgentResult {
  wasRunning: boolean;
  pid?: number;
}

/** Asks the agent to stop (it drains and stops every revision) and waits until it is gone. */
export async function stopAgent(config: Config, clock: Clock, timeoutMs = 120_000): Promise<StopAgentResult> {
  const status = await readAgentStatus(config);
  if (!status.running) return { wasRunning: false };
  const platform = connectLocalPlatform(config);
  try {
    await platform.shutdownAgent();
  } finally {
    await platform.close();
  }
  const deadline = clock.nowMs() + timeoutMs;
  while (clock.nowMs() < deadline) {
    if (!isAlive(status.pid)) return { wasRunning: true, ...(status.pid ? { pid: status.pid } : {}) };
    await clock.sleep(100);
  }
  throw platformError(
    'PRODGUARD_PLATFORM_AGENT_RUNNING',
    `The agent (pid ${status.pid}) is still running after ${timeoutMs} ms.`,
    {
      hint: `Its revisions may be slow to stop; look at ${agentPaths(config.stateDirPath, config.artifactsDirPath).agentLog}.`,
    },
  );
}

function isAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Who the running agent's revisions run as; undefined when no agent of this workspace answers. */
export async function readRevisionUser(config: Config): Promise<RevisionUser | undefined> {
  let platform: ReturnType<typeof connectLocalPlatform>;
  try {
    platform = connectLocalPlatform(config);
  } catch {
    return undefined;
  }
  try {
    return (await platform.agentInfo()).revisionUser;
  } catch {
    // Down, or another workspace's agent: status shows the environments without it.
    return undefined;
  } finally {
    await platform.close();
  }
}
