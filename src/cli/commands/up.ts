import type { Command } from 'commander';
import { runAudited, withAuditAnchor } from '../../audit/index.js';
import { ProdguardError } from '../../kernel/errors.js';
import { prodguardBin } from '../../kernel/package-root.js';
import { runMonitor } from '../../monitor/index.js';
import type { Service } from '../../platform/index.js';
import {
  describeRevisionUser,
  readAgentStatus,
  runAgent,
  type SecretResolver,
  startAgentDetached,
} from '../../platform/index.js';
import { type OpenedSecretVault, openSecretVault, resolveSecretEnv } from '../../secrets/index.js';
import type { Workspace } from '../../workspace/index.js';
import type { CliIo } from '../io.js';
import { printJson, renderTable, type Style } from '../render.js';
import { workspaceMonitorDeps } from './monitor-wiring.js';
import { globalsOf, styleOf, withWorkspace } from './shared.js';

export function register(program: Command, io: CliIo): void {
  program
    .command('up')
    .description('start the local platform agent: one router per environment, supervised revisions, metrics')
    .option('--detach', 'run in the background and return once the agent answers')
    .option('--no-monitor', 'do not run the monitor (probes, alerts, notifications) inside the agent')
    .action(async (options: { detach?: boolean; monitor?: boolean }, command: Command) =>
      withWorkspace(io, command, async (ws) => {
        const globals = globalsOf(command);
        const s = styleOf(command, io);
        const actor = await ws.actor();
        if (options.detach) {
          const result = await startAgentDetached({
            config: ws.config,
            clock: ws.clock,
            command: {
              file: process.execPath,
              args: [prodguardBin(), ...(globals.config ? ['--config', ws.config.file] : []), 'up'],
            },
            env: io.env,
          });
          if (globals.json) return printJson(io, { ok: true, ...result });
          io.stdout(
            `${s.ok('✓')} Agent ${result.alreadyRunning ? 'already running' : 'started'} on ${result.url} (pid ${result.pid})\n`,
          );
          io.stdout(`${renderServices(result.services, s)}\n`);
          if (result.revisionUser) io.stdout(s.dim(`  ${describeRevisionUser(result.revisionUser)}\n`));
          io.stdout(s.dim(`  agent log: ${result.log} · stop it with \`prodguard down\`\n`));
          return;
        }
        const current = await readAgentStatus(ws.config);
        if (current.running) {
          if (globals.json) return printJson(io, { ok: true, alreadyRunning: true, ...current });
          io.stdout(`${s.ok('✓')} Agent already running on ${current.url} (pid ${current.pid})\n`);
          return;
        }
        const { value: agent } = await runAudited(
          ws.audit,
          { actor, action: 'platform.up', details: { pid: process.pid } },
          () =>
            runAgent({
              config: ws.config,
              clock: ws.clock,
              processes: ws.processes,
              log: ws.log,
              env: io.env,
              secrets: vaultResolver(ws, io.env),
            }),
          (started) => ({ target: started.url }),
        );
        // The monitor runs beside the routers it watches; its metrics join the agent's /metrics.
        let monitor: ReturnType<typeof runMonitor> | undefined;
        try {
          monitor =
            options.monitor === false
              ? undefined
              : runMonitor({
                  config: ws.config,
                  clock: ws.clock,
                  deps: workspaceMonitorDeps(ws, io, agent.agent, () =>
                    agent.agent.metrics.registry.metrics(),
                  ),
                });
        } catch (error) {
          // A monitor already watches this project (`prodguard monitor`): the agent runs without a second one.
          if (!(error instanceof ProdguardError) || error.code !== 'PRODGUARD_MONITOR_ALREADY_RUNNING')
            throw error;
          io.stderr(`! ${error.message}\n`);
        }
        if (monitor) agent.agent.addMetricsSource(() => monitor.metrics.text());
        const services = await agent.agent.listServices();
        if (globals.json)
          printJson(
            io,
            withAuditAnchor(
              { ok: true, url: agent.url, pid: process.pid, revisionUser: agent.revisionUser, services },
              ws.audit,
            ),
          );
        else {
          io.stdout(`${s.ok('✓')} Agent listening on ${agent.url} (pid ${process.pid})\n`);
          io.stdout(`${renderServices(services, s)}\n`);
          io.stdout(s.dim(`  ${describeRevisionUser(agent.revisionUser)}\n`));
          io.stdout(s.dim('  Ctrl-C or `prodguard down` stops it and every revision.\n'));
        }
        const stop = () => void agent.stop();
        io.signal.addEventListener('abort', stop, { once: true });
        process.once('SIGTERM', stop);
        await agent.stopped;
        await monitor?.stop();
        process.off('SIGTERM', stop);
        // Recorded once the agent is down, whoever stopped it (`prodguard down`, a signal, or the agent itself).
        ws.audit.append({
          actor,
          action: 'platform.down',
          target: agent.url,
          outcome: 'success',
          details: { pid: process.pid, by: 'agent' },
        });
        if (!globals.json) io.stdout(`${s.ok('✓')} Agent stopped; revisions stopped.\n`);
      }),
    );
}

function renderServices(services: readonly Service[], s: Style): string {
  return renderTable(
    services.map((svc) => [
      `  ${svc.name}`,
      svc.url,
      svc.maintenance
        ? s.warn(`maintenance: ${svc.maintenance.message}`)
        : svc.traffic.length === 0
          ? s.dim('no traffic yet')
          : svc.traffic.map((t) => `${t.revision} ${t.percent}%`).join(', '),
    ]),
    ['  ENVIRONMENT', 'ROUTER', 'TRAFFIC'],
  );
}

/** Pinned secrets come from the workspace vault, opened on first use; values are masked in the agent's logs. */
function vaultResolver(ws: Workspace, env: NodeJS.ProcessEnv): SecretResolver {
  let opened: OpenedSecretVault | undefined;
  return async (environment, pins) => {
    opened ??= openSecretVault({ store: ws.store, clock: ws.clock, env, stateDir: ws.config.stateDirPath });
    const values = await resolveSecretEnv(opened.vault, environment, pins);
    for (const value of Object.values(values)) ws.knownSecrets.add(value);
    return values;
  };
}
