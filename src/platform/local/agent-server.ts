import { createServer, type Server } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import type { Logger } from '../../kernel/logger.js';
import { type AgentInfo, createAgentApp } from './agent-api/index.js';
import type { LocalAgent } from './local-agent.js';

export type { AgentInfo } from './agent-api/index.js';

export interface AgentServerOptions {
  agent: LocalAgent;
  token: string;
  info: AgentInfo;
  log: Logger;
  /** Called after answering POST /v2/agent:shutdown. */
  onShutdown: () => void;
}

/**
 * The agent API (createAgentApp over a LocalAgent) as a node:http server, not yet listening: runAgent
 * binds it to loopback and closes it. The app stays a fetch value; this is the only place it meets sockets.
 */
export function createAgentServer(options: AgentServerOptions): Server {
  const { agent } = options;
  const app = createAgentApp({
    platform: agent,
    prometheus: async () => ({
      contentType: agent.metrics.registry.contentType,
      text: await agent.prometheus(),
    }),
    token: options.token,
    info: options.info,
    log: options.log,
    onShutdown: options.onShutdown,
  });
  // overrideGlobalObjects: false keeps the process's global Request/Response (undici's) untouched.
  return createServer(getRequestListener(app.fetch, { overrideGlobalObjects: false }));
}
