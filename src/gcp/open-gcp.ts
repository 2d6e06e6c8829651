import type { Config } from '../config/index.js';
import { routeDatabaseUrl } from '../database/database-target.js';
import type { Clock } from '../kernel/clock.js';
import { ProdguardError } from '../kernel/errors.js';
import type { PostgresRoleAdmin } from '../secrets/postgres-role-admin.js';
import type { SecretVault } from '../secrets/secret-vault.js';
import { type CloudRunBinding, CloudRunPlatform } from './cloudrun/cloud-run-platform.js';
import { cloudSqlRoleAdmin } from './cloudsql/cloud-sql-role-admin.js';
import { type ClosablePlatform, RoutedPlatform } from './routed-platform.js';
import { RoutedSecretVault } from './routed-secret-vault.js';
import { SecretManagerVault } from './secret-manager/secret-manager-vault.js';
import {
  createRestTransport,
  type GcpTransport,
  googleTokenSource,
  PlanTransport,
} from './transport/index.js';

/**
 * Test and demo hook: PRODGUARD_GCP_ENDPOINT points every Google API at one base URL (the loopback fake)
 * and PRODGUARD_GCP_TOKEN is the bearer sent there. Only loopback URLs are accepted, so the variable
 * cannot send a real token somewhere else.
 */
export function gcpEndpointOverride(env: NodeJS.ProcessEnv): string | undefined {
  const url = env.PRODGUARD_GCP_ENDPOINT;
  if (!url) return undefined;
  const host = new URL(url).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '[::1]')
    throw new ProdguardError(
      'PRODGUARD_GCP_ENDPOINT_INVALID',
      `PRODGUARD_GCP_ENDPOINT must be a loopback URL, got ${host}.`,
      {
        kind: 'usage',
        hint: 'It exists to run prodguard against the in-repo fake; unset it to talk to Google.',
      },
    );
  return url.replace(/\/$/, '');
}

export interface OpenGcpTransportOptions {
  env: NodeJS.ProcessEnv;
  clock: Clock;
  /** Record writes and make none (`--plan`); reads still go to Google. */
  plan?: boolean;
  /** With plan: ask Cloud Run to validate each write (validateOnly=true). */
  validateOnly?: boolean;
  keyFile?: string;
}

export function openGcpTransport(options: OpenGcpTransportOptions): GcpTransport {
  const endpoint = gcpEndpointOverride(options.env);
  const live = createRestTransport({
    token: endpoint
      ? async () => options.env.PRODGUARD_GCP_TOKEN ?? 'fake-token'
      : googleTokenSource(options.keyFile ? { keyFile: options.keyFile } : {}),
    clock: options.clock,
    ...(endpoint ? { baseUrl: () => endpoint } : {}),
  });
  return options.plan
    ? new PlanTransport({ reads: live, validateOnly: options.validateOnly ?? false })
    : live;
}

export type CloudRunEnvironmentBinding = CloudRunBinding & {
  image: string;
  maintenanceImage?: string;
  sqlInstance?: string;
  metricsLagMs: number;
};

/** The Cloud Run binding of every `kind: cloudrun` environment. */
export function cloudRunBindings(config: Config): Map<string, CloudRunEnvironmentBinding> {
  const out = new Map<string, CloudRunEnvironmentBinding>();
  for (const [name, env] of Object.entries(config.environments)) {
    const p = env.platform;
    if (p?.kind !== 'cloudrun' || !p.project || !p.region || !p.service || !p.image) continue;
    out.set(name, {
      project: p.project,
      region: p.region,
      service: p.service,
      image: p.image,
      metricsLagMs: p.metricsLag,
      ...(p.maintenanceImage ? { maintenanceImage: p.maintenanceImage } : {}),
      ...(p.sqlInstance ? { sqlInstance: p.sqlInstance } : {}),
    });
  }
  return out;
}

/** A Cloud Run platform for the workspace's cloudrun environments, or undefined when there are none. */
export function openCloudRunPlatform(
  config: Config,
  options: { transport: GcpTransport; clock: Clock },
): CloudRunPlatform | undefined {
  const bindings = cloudRunBindings(config);
  if (bindings.size === 0) return undefined;
  return new CloudRunPlatform({
    transport: options.transport,
    clock: options.clock,
    environments: Object.fromEntries(bindings),
    image: (release, environment) =>
      bindings
        .get(environment)!
        .image.replaceAll('{commit}', release.commit)
        .replaceAll('{digest}', release.digest),
    maintenanceImage: (environment) => bindings.get(environment)?.maintenanceImage,
    metricsLagMs: (environment) => bindings.get(environment)?.metricsLagMs ?? 180_000,
  });
}

/**
 * The platform deploy, rollback, maintenance and status use: the local agent, with every
 * `kind: cloudrun` environment routed to Cloud Run instead.
 */
export function openPlatformFor(
  config: Config,
  options: { env: NodeJS.ProcessEnv; clock: Clock; local: () => ClosablePlatform },
): ClosablePlatform {
  const bindings = cloudRunBindings(config);
  if (bindings.size === 0) return options.local();
  const cloud = openCloudRunPlatform(config, {
    transport: openGcpTransport({ env: options.env, clock: options.clock }),
    clock: options.clock,
  })!;
  return new RoutedPlatform(new Map([...bindings.keys()].map((k) => [k, cloud])), options.local);
}

/**
 * The vault and role admin the secrets commands use: Secret Manager and Cloud SQL `users.update` for
 * `kind: cloudrun` environments (Cloud SQL only where platform.sqlInstance is set), the local ones
 * otherwise.
 */
export function openSecretsBackendsFor(
  config: Config,
  options: { env: NodeJS.ProcessEnv; clock: Clock; localVault: SecretVault; localRoles: PostgresRoleAdmin },
): { vault: SecretVault; rolesFor: (environment: string) => PostgresRoleAdmin } {
  const bindings = cloudRunBindings(config);
  if (bindings.size === 0) return { vault: options.localVault, rolesFor: () => options.localRoles };
  const transport = openGcpTransport({ env: options.env, clock: options.clock });
  const vaults = new Map<string, SecretVault>();
  const byProject = new Map<string, SecretManagerVault>();
  for (const [environment, b] of bindings) {
    const vault =
      byProject.get(b.project) ??
      new SecretManagerVault({ transport, clock: options.clock, project: b.project });
    byProject.set(b.project, vault);
    vaults.set(environment, vault);
  }
  return {
    vault: new RoutedSecretVault(vaults, options.localVault),
    rolesFor: (environment) => {
      const b = bindings.get(environment);
      if (!b?.sqlInstance) return options.localRoles;
      // Every connection goes through the Auth Proxy this command started (platform.sqlProxy): the
      // app's URL is often the Cloud Run socket form, which only works inside Cloud Run. Stored values
      // keep the URL as written.
      const route = (url: string) => routeDatabaseUrl(config, environment, options.env, url);
      const roles = options.localRoles;
      return cloudSqlRoleAdmin({
        transport,
        clock: options.clock,
        instance: { project: b.project, instance: b.sqlInstance },
        login: async (url) => roles.tryLogin(route(url)),
        sqlAdmin: {
          setupRoles: async (adminUrl, group, members) => roles.setupRoles(route(adminUrl), group, members),
          setupReadonlyRole: async (adminUrl, spec) => roles.setupReadonlyRole(route(adminUrl), spec),
        },
      });
    },
  };
}
