import { DeployEvents, openPipeline, runRollback } from '../../deploy/index.js';
import { createIncidentOpener, type IncidentPorts, normalizeIncidentSettings } from '../../incident/index.js';
import {
  createOperationNoticeSender,
  type NotifyOperationNotice,
  type RunMonitorDeps,
  type SecretLookup,
} from '../../monitor/index.js';
import { agentPaths, connectLocalPlatform, type Platform, readRevisionLogs } from '../../platform/index.js';
import { type OpenedSecretVault, openSecretVault, SecretPins } from '../../secrets/index.js';
import type { Workspace } from '../../workspace/index.js';
import type { CliIo } from '../io.js';

/**
 * Credentials for notifiers and database probes: `{ env }` from prodguard's environment, `{ secret }` from the
 * vault (the environment's pinned version, else its newest enabled one). Every value read joins the
 * workspace's known secrets, so no log line or error can print it.
 */
export function workspaceSecretLookup(ws: Workspace, env: NodeJS.ProcessEnv): SecretLookup {
  let opened: OpenedSecretVault | undefined;
  return async (ref) => {
    let value: string | undefined;
    if ('env' in ref) {
      value = env[ref.env];
      if (value === undefined) throw new Error(`environment variable ${ref.env} is not set`);
    } else {
      opened ??= openSecretVault({ store: ws.store, clock: ws.clock, env, stateDir: ws.config.stateDirPath });
      const environment =
        ref.environment ?? ws.config.environmentOrder[ws.config.environmentOrder.length - 1]!;
      const secretRef = { name: ref.secret, environment };
      const pinned = new SecretPins(ws.store, ws.clock).get(secretRef)?.version;
      const versions = await opened.vault.listVersions(secretRef);
      const version = pinned ?? versions.filter((v) => v.state === 'enabled').at(-1)?.version;
      if (version === undefined)
        throw new Error(`secret ${ref.secret} has no enabled version in ${environment}`);
      value = await opened.vault.accessVersion(secretRef, version);
    }
    if (value) ws.knownSecrets.add(value);
    return value;
  };
}

/** The monitor's ports for a CLI process: the workspace store, its vault, stdout for the console notifier. */
export function workspaceMonitorDeps(
  ws: Workspace,
  io: CliIo,
  platform: Pick<Platform, 'getService' | 'listRevisions'>,
  routerMetrics: () => Promise<string>,
  extra: Partial<RunMonitorDeps> = {},
): RunMonitorDeps {
  // Alerts listed in incident.autoOpen open an incident (freeze, snapshot, rollback of a recent deploy).
  const onFiring = createIncidentOpener(
    workspaceIncidentPorts(ws, platform),
    normalizeIncidentSettings(ws.config),
    (r) =>
      io.stdout(
        `✗ incident #${r.incident.id} opened automatically: ${r.incident.title}\n${r.steps.map((st) => `  ${st.name}: ${st.status} ${st.detail}\n`).join('')}`,
      ),
  );
  return {
    onFiring,
    store: ws.store,
    platform,
    routerMetrics,
    lookup: workspaceSecretLookup(ws, io.env),
    write: (line) => io.stdout(line),
    log: ws.log,
    knownSecrets: () => [...ws.knownSecrets],
    ...extra,
  };
}

/**
 * The incident domain's ports for a CLI process. `rollback` drives today's deploy pipeline
 * (runRollback); the operation kernel replaces it with its own rollback when it lands.
 */
export function workspaceIncidentPorts(
  ws: Workspace,
  platform: Pick<Platform, 'getService' | 'listRevisions'>,
): IncidentPorts {
  const logsDir = agentPaths(ws.config.stateDirPath).logs;
  return {
    store: ws.store,
    clock: ws.clock,
    audit: ws.audit,
    platform,
    readLogs: (environment, revision, tail) =>
      readRevisionLogs({ logsDir, service: environment, revision, tail }).map(
        (l) => `${l.at} ${l.stream} ${l.text}`,
      ),
    readAuditTail: (limit) => ws.audit.list({ limit }),
    knownSecrets: () => [...ws.knownSecrets],
    rollback: async (environment, reason) => {
      const pipeline = await openPipeline(ws, { events: new DeployEvents() });
      try {
        const result = await runRollback(
          pipeline.config,
          { environment, reason, lockWaitMs: 30_000 },
          pipeline.deps,
        );
        return { revision: result.to, message: result.message };
      } finally {
        await pipeline.close();
      }
    },
  };
}

/**
 * The agent's client, or, when it cannot be reached, a platform whose calls fail with that reason: an
 * incident must still open (and record the gap) while the platform is down.
 */
export function platformOrUnavailable(
  ws: Workspace,
): Pick<Platform, 'getService' | 'listRevisions'> & { close(): Promise<void> } {
  try {
    return connectLocalPlatform(ws.config);
  } catch (error) {
    const fail = () => Promise.reject(error);
    return { getService: fail, listRevisions: fail, close: async () => {} };
  }
}

/**
 * Seed §3/§4 notices for CLI operations: the operation kernel calls the returned function when a deploy,
 * rotation, migration or maintenance starts and finishes on a protected environment.
 */
export function workspaceOperationNotifier(ws: Workspace, io: CliIo): NotifyOperationNotice {
  return createOperationNoticeSender(ws.config, {
    store: ws.store,
    clock: ws.clock,
    lookup: workspaceSecretLookup(ws, io.env),
    write: (line) => io.stderr(line),
    knownSecrets: () => [...ws.knownSecrets],
  });
}
