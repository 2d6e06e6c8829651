import { join } from 'node:path';

/** Everything the agent keeps under `<stateDir>/agent/`. */
export interface AgentPaths {
  readonly dir: string;
  /** Bearer token, mode 0600. */
  readonly token: string;
  /** Services, revisions, traffic, maintenance: restored on restart. */
  readonly state: string;
  /** `{ pid, port, startedAt }` of the running agent. */
  readonly pid: string;
  /** Output of a detached agent. */
  readonly agentLog: string;
  /** Per-revision logs: `<logs>/<service>/<revision>.log`. */
  readonly logs: string;
  /** Built releases: `<artifacts>/<sha>/`. */
  readonly artifacts: string;
}

/** `artifactsDir`: config.artifactsDirPath (outside the project's tree by default). */
export function agentPaths(stateDir: string, artifactsDir = join(stateDir, 'artifacts')): AgentPaths {
  const dir = join(stateDir, 'agent');
  return {
    dir,
    token: join(dir, 'token'),
    state: join(dir, 'state.json'),
    pid: join(dir, 'agent.json'),
    agentLog: join(dir, 'agent.log'),
    logs: join(dir, 'logs'),
    artifacts: artifactsDir,
  };
}
