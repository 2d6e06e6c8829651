import type { Config } from '../../config/index.js';
import { agentPaths } from './agent-paths.js';
import { readAgentToken } from './agent-token.js';
import { LocalPlatform } from './local-platform.js';
import { platformError } from './platform-errors.js';
import { readAgentPidFile } from './run-agent.js';

/**
 * A client for the agent of this workspace: URL from the running agent's pid file (else app.agentPort),
 * token from `<stateDir>/agent/token`.
 */
export function connectLocalPlatform(config: Config): LocalPlatform {
  const paths = agentPaths(config.stateDirPath, config.artifactsDirPath);
  const token = readAgentToken(paths.token);
  if (!token) {
    throw platformError(
      'PRODGUARD_PLATFORM_AGENT_DOWN',
      `No agent token in ${paths.token}: the agent never ran here.`,
      {
        hint: 'Start the local platform with `prodguard up --detach`.',
      },
    );
  }
  const url = readAgentPidFile(paths)?.url ?? `http://127.0.0.1:${config.app.agentPort}`;
  return new LocalPlatform({ baseUrl: url, token });
}
