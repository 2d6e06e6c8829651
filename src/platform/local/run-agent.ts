import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Config } from '../../config/index.js';
import type { Clock } from '../../kernel/clock.js';
import type { Logger } from '../../kernel/logger.js';
import { makeOwnerOnlyDir } from '../../kernel/private-dir.js';
import type { ProcessRunner } from '../../kernel/process-runner.js';
import { type AgentPaths, agentPaths } from './agent-paths.js';
import { createAgentServer } from './agent-server.js';
import { ensureAgentToken } from './agent-token.js';
import { LocalAgent, type SecretResolver } from './local-agent.js';
import { platformError } from './platform-errors.js';
import { createRevisionSandbox, revisionSandboxOptions } from './revision-sandbox.js';
import type { RevisionUser } from './revision-user.js';
import { nodeServiceSpawner, type ServiceSpawner } from './service-spawner.js';

export interface RunAgentOptions {
  config: Config;
  clock: Clock;
  processes: ProcessRunner;
  log: Logger;
  /** The agent's own environment; revisions inherit only PATH-like basics from it. */
  env: NodeJS.ProcessEnv;
  spawner?: ServiceSpawner;
  /** Overrides app.agentPort (tests use 0). */
  port?: number;
  /** Delivers pinned secrets to revisions (the CLI passes the workspace vault). */
  secrets?: SecretResolver;
}

export interface RunningAgent {
  readonly agent: LocalAgent;
  readonly url: string;
  readonly port: number;
  readonly paths: AgentPaths;
  /** Who its revisions run as. */
  readonly revisionUser: RevisionUser;
  /** Resolves when the agent has stopped (after stop() or POST /v2/agent:shutdown). */
  readonly stopped: Promise<void>;
  stop(): Promise<void>;
}

export interface AgentPidFile {
  pid: number;
  port: number;
  url: string;
  startedAt: string;
}

/** Starts the agent in this process: token, routers, restored revisions, then the API on loopback. */
export async function runAgent(options: RunAgentOptions): Promise<RunningAgent> {
  const paths = agentPaths(options.config.stateDirPath, options.config.artifactsDirPath);
  // Refuses a bad app.runAs before anything starts; revisions never fall back to root.
  const sandbox = createRevisionSandbox({
    ...revisionSandboxOptions(options.config),
    start: { command: options.config.app.start, path: options.env.PATH },
  });
  // Vault key, state database, token, logs and backups live here: owner-only, also when created by the agent.
  makeOwnerOnlyDir(options.config.stateDirPath);
  // The artifact store of an older version was 0755: revisions reach their release only through their folder.
  if (existsSync(paths.artifacts)) chmodSync(paths.artifacts, 0o700);
  const token = ensureAgentToken(paths.token);
  const baseEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.env)) if (v !== undefined) baseEnv[k] = v;
  const agent = new LocalAgent({
    config: options.config,
    paths,
    clock: options.clock,
    processes: options.processes,
    spawner: options.spawner ?? nodeServiceSpawner,
    log: options.log,
    baseEnv,
    sandbox,
    ...(options.secrets ? { secrets: options.secrets } : {}),
  });
  const startedAt = options.clock.now().toISOString();
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => {
    resolveStopped = r;
  });
  let stopping: Promise<void> | undefined;
  let server: Server | undefined;
  const stop = () => {
    stopping ??= (async () => {
      await new Promise<void>((r) => {
        if (!server) return r();
        server.close(() => r());
        server.closeAllConnections();
      });
      await agent.shutdown();
      rmSync(paths.pid, { force: true });
      resolveStopped();
    })();
    return stopping;
  };
  server = createAgentServer({
    agent,
    token,
    info: { pid: process.pid, startedAt, version: 1, revisionUser: sandbox.user },
    log: options.log,
    onShutdown: () => void stop(),
  });
  const port = options.port ?? options.config.app.agentPort;
  const bound = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  }).catch((error: unknown) => {
    throw platformError(
      (error as NodeJS.ErrnoException).code === 'EADDRINUSE'
        ? 'PRODGUARD_PLATFORM_AGENT_RUNNING'
        : 'PRODGUARD_PLATFORM_PORT_IN_USE',
      `The agent cannot listen on 127.0.0.1:${port}: ${(error as Error).message}.`,
      {
        kind: 'usage',
        hint: 'Another agent (or program) holds the port: `prodguard down`, or set app.agentPort in prodguard.yaml.',
        cause: error,
      },
    );
  });
  try {
    await agent.start();
  } catch (error) {
    server.close();
    await agent.shutdown();
    throw error;
  }
  const url = `http://127.0.0.1:${bound}`;
  const pidFile: AgentPidFile = { pid: process.pid, port: bound, url, startedAt };
  writeFileSync(paths.pid, `${JSON.stringify(pidFile)}\n`, { mode: 0o600 });
  return { agent, url, port: bound, paths, revisionUser: sandbox.user, stopped, stop };
}

export function readAgentPidFile(paths: AgentPaths): AgentPidFile | undefined {
  if (!existsSync(paths.pid)) return undefined;
  try {
    return JSON.parse(readFileSync(paths.pid, 'utf8')) as AgentPidFile;
  } catch {
    return undefined;
  }
}
