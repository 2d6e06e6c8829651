import type { Logger } from '../kernel/logger.js';
import {
  type MasterKey,
  openSecretVault,
  type PostgresRoleAdmin,
  pgRoleAdmin,
  platformRunningRevisionSecrets,
  type RunningRevisionSecrets,
  SecretPins,
  type SecretsContext,
  type ServiceRoller,
} from '../secrets/index.js';
import type { Workspace } from '../workspace/index.js';

export interface SecretsSessionOptions {
  /** Ask the local platform which versions running revisions of this environment use. */
  running?: string;
  /** Connect the deploy pipeline (rotation rollouts, aborting them). */
  roller?: boolean;
  /** Replaces the workspace's logger (progress lines while a password propagates). */
  log?: Logger;
}

export interface SecretsSession {
  ctx: SecretsContext;
  key: MasterKey;
  /** Who changes database passwords for an environment: SQL on the server, or Cloud SQL's users.update. */
  roles(environment: string): PostgresRoleAdmin;
  /** Ports that could not be reached, said plainly (shown, and in --json). */
  notes: string[];
  close(): Promise<void>;
}

/** Where the deploy pipeline plugs in: a rotation rolls the service out through `prodguard deploy`'s steps. */
async function loadServiceRoller(ws: Workspace): Promise<ServiceRoller> {
  // Loaded only by the commands that roll out: the other secrets commands never pay for the pipeline.
  const { createSecretsServiceRoller } = await import('../deploy/run-secrets-rollout.js');
  return createSecretsServiceRoller(ws);
}

/** The local agent knows only the environments it runs; elsewhere running revisions stay unknown. */
async function probeRunningRevisions(
  ws: Workspace,
  environment: string,
  cleanups: (() => Promise<void>)[],
): Promise<RunningRevisionSecrets | undefined> {
  const { connectLocalPlatform } = await import('../platform/local/connect-local-platform.js');
  try {
    const platform = connectLocalPlatform(ws.config);
    cleanups.push(() => platform.close());
    const services = await platform.listServices();
    return services.some((s) => s.name === environment)
      ? platformRunningRevisionSecrets(platform)
      : undefined;
  } catch (error) {
    // No agent (never started, or down): nothing runs here, and the caller says so in its notes.
    ws.log.debug('running revisions unknown: no platform answered', {
      environment,
      error: error instanceof Error ? error.message : String(error),
    });
    return undefined;
  }
}

/** Opens the vault, the pins and the optional platform ports for the secrets operations. */
export async function openSecretsSession(
  ws: Workspace,
  options: SecretsSessionOptions = {},
): Promise<SecretsSession> {
  const local = openSecretVault({
    store: ws.store,
    clock: ws.clock,
    env: ws.env,
    stateDir: ws.paths.state,
  });
  const key = local.key;
  // Secret Manager (and Cloud SQL users.update) for `platform.kind: cloudrun` environments.
  const { openSecretsBackendsFor } = await import('../gcp/open-gcp.js');
  const backends = openSecretsBackendsFor(ws.config, {
    env: ws.env,
    clock: ws.clock,
    localVault: local.vault,
    localRoles: pgRoleAdmin,
  });
  const vault = backends.vault;
  const cleanups: (() => Promise<void>)[] = [];
  const notes: string[] = [];
  const close = async () => {
    for (const cleanup of cleanups) {
      await cleanup().catch((error: unknown) =>
        ws.log.warn('closing a platform connection failed', {
          error: error instanceof Error ? error.message : String(error),
        }),
      );
    }
  };
  try {
    const running = options.running ? await probeRunningRevisions(ws, options.running, cleanups) : undefined;
    if (options.running && !running) {
      notes.push(`no platform reports ${options.running}'s revisions: running revisions not checked`);
    }
    const roller = options.roller ? await loadServiceRoller(ws) : undefined;
    const ctx: SecretsContext = {
      config: ws.config,
      vault,
      pins: new SecretPins(ws.store, ws.clock),
      store: ws.store,
      audit: ws.audit,
      clock: ws.clock,
      log: options.log ?? ws.log,
      actor: await ws.actor(),
      knownSecrets: ws.knownSecrets,
      ops: ws.operations,
      ...(running ? { running } : {}),
      ...(roller ? { roller } : {}),
    };
    return { ctx, key, notes, close, roles: (environment) => backends.rolesFor(environment) };
  } catch (error) {
    await close();
    throw error;
  }
}
