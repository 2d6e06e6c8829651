import type { Clock } from '../../kernel/clock.js';
import { ProdguardError } from '../../kernel/errors.js';
import type { RunService } from '../cloudrun/cloud-run-types.js';
import { secretIdFor } from '../secret-manager/secret-id.js';
import {
  type GcpTransport,
  isGcpApiError,
  type RunOperation,
  type SqlOperation,
  waitRunOperation,
  waitSqlOperation,
} from '../transport/index.js';
import { estimateStagingCost } from './staging-cost.js';

interface IamPolicy {
  bindings?: { role: string; members: string[] }[];
  etag?: string;
}

export interface SetupStagingOptions {
  project: string;
  region: string;
  /** The production Cloud Run service whose template staging copies. */
  productionService: string;
  stagingService?: string;
  instance?: string;
  database?: string;
  /** Runtime service account of staging; default the production template's. */
  serviceAccount?: string;
}

export interface SetupStagingStep {
  step: string;
  status: 'exists' | 'created' | 'planned';
  detail?: string;
}

export interface SetupStagingResult {
  steps: SetupStagingStep[];
  /** Secrets staging needs values for before its first deploy: `prodguard secrets add NAME --env staging`. */
  secretsToFill: string[];
  cost: ReturnType<typeof estimateStagingCost>;
}

async function exists(
  transport: GcpTransport,
  api: 'run' | 'sqladmin' | 'secretmanager',
  path: string,
): Promise<boolean> {
  try {
    await transport.request({ api, method: 'GET', path });
    return true;
  } catch (error) {
    if (isGcpApiError(error) && error.httpStatus === 404) return false;
    throw error;
  }
}

/**
 * Seed §2: a staging environment that mirrors production. Staging gets its own Cloud Run service (a
 * copy of production's template, with production's secret references removed: staging never reads
 * production secrets), its own db-f1-micro Cloud SQL instance and database, its own secrets
 * (`staging_<NAME>`), and IAM for its runtime service account: secretAccessor on each staging secret
 * and cloudsql.client on the project. Every step reads first and creates only what is missing, so a
 * re-run is safe and a plan lists only what would change.
 */
export async function setupStaging(
  options: SetupStagingOptions,
  deps: { transport: GcpTransport; clock: Clock; pollIntervalMs?: number },
): Promise<SetupStagingResult> {
  const t = deps.transport;
  const planning = t.mode === 'plan';
  const { project, region } = options;
  const staging = options.stagingService ?? `${options.productionService}-staging`;
  const instance = options.instance ?? `${options.productionService}-staging-db`;
  const database = options.database ?? 'app';
  const steps: SetupStagingStep[] = [];
  const poll = { clock: deps.clock, timeoutMs: 30 * 60_000, intervalMs: deps.pollIntervalMs ?? 5_000 };
  const location = `projects/${project}/locations/${region}`;

  let production: RunService;
  try {
    production = await t.request<RunService>({
      api: 'run',
      method: 'GET',
      path: `/v2/${location}/services/${options.productionService}`,
    });
  } catch (error) {
    throw new ProdguardError(
      'PRODGUARD_GCP_SETUP_FAILED',
      `Cannot read the production service ${options.productionService} in ${project}/${region}: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
        hint: 'staging copies production: check platform.project, platform.region and platform.service.',
      },
    );
  }
  const serviceAccount = options.serviceAccount ?? production.template.serviceAccount;
  if (!serviceAccount)
    throw new ProdguardError(
      'PRODGUARD_GCP_SETUP_FAILED',
      'Production runs as the default compute service account; staging needs its own.',
      {
        kind: 'usage',
        hint: 'Create one (gcloud iam service-accounts create api-staging) and pass --service-account.',
      },
    );
  const secretNames = [
    ...new Set(
      production.template.containers.flatMap((c) =>
        (c.env ?? []).flatMap((e) => (e.valueSource ? [e.name] : [])),
      ),
    ),
  ].sort();

  // 1. Cloud Run service: production's template without its secret references.
  if (await exists(t, 'run', `/v2/${location}/services/${staging}`))
    steps.push({ step: `Cloud Run service ${staging}`, status: 'exists' });
  else {
    const template = structuredClone(production.template);
    delete template.revision;
    template.serviceAccount = serviceAccount;
    template.containers = template.containers.map((c) => ({
      ...c,
      env: (c.env ?? []).filter((e) => e.valueSource === undefined),
    }));
    const op = await t.request<RunOperation<RunService>>({
      api: 'run',
      method: 'POST',
      path: `/v2/${location}/services`,
      query: { serviceId: staging },
      body: { template, labels: { ...(production.labels ?? {}), 'prodguard-environment': 'staging' } },
    });
    await waitRunOperation(t, op, poll);
    steps.push({
      step: `Cloud Run service ${staging}`,
      status: planning ? 'planned' : 'created',
      detail: `copy of ${options.productionService}, runs as ${serviceAccount}`,
    });
  }

  // 2. Cloud SQL instance (db-f1-micro needs the Enterprise edition) and database.
  const instancePath = `/v1/projects/${project}/instances/${instance}`;
  if (await exists(t, 'sqladmin', instancePath))
    steps.push({ step: `Cloud SQL instance ${instance}`, status: 'exists' });
  else {
    const op = await t.request<SqlOperation>({
      api: 'sqladmin',
      method: 'POST',
      path: `/v1/projects/${project}/instances`,
      body: {
        name: instance,
        region,
        databaseVersion: 'POSTGRES_15',
        settings: {
          tier: 'db-f1-micro',
          edition: 'ENTERPRISE',
          availabilityType: 'ZONAL',
          dataDiskSizeGb: '10',
          dataDiskType: 'PD_SSD',
          backupConfiguration: { enabled: true, startTime: '03:00' },
          ipConfiguration: { ipv4Enabled: true, requireSsl: true },
          userLabels: { 'prodguard-environment': 'staging' },
        },
      },
    });
    await waitSqlOperation(t, project, op, poll);
    steps.push({
      step: `Cloud SQL instance ${instance}`,
      status: planning ? 'planned' : 'created',
      detail: 'db-f1-micro, POSTGRES_15, zonal, daily backups',
    });
  }
  const databases = planning
    ? await t
        .request<{ items?: { name: string }[] }>({
          api: 'sqladmin',
          method: 'GET',
          path: `${instancePath}/databases`,
        })
        .catch(() => ({ items: [] as { name: string }[] }))
    : await t.request<{ items?: { name: string }[] }>({
        api: 'sqladmin',
        method: 'GET',
        path: `${instancePath}/databases`,
      });
  if (databases.items?.some((d) => d.name === database))
    steps.push({ step: `database ${database}`, status: 'exists' });
  else {
    const op = await t.request<SqlOperation>({
      api: 'sqladmin',
      method: 'POST',
      path: `${instancePath}/databases`,
      body: { name: database, instance, project },
    });
    await waitSqlOperation(t, project, op, poll);
    steps.push({ step: `database ${database}`, status: planning ? 'planned' : 'created' });
  }

  // 3. Staging's own secrets (no values: they are added with prodguard secrets add) and their IAM.
  const member = `serviceAccount:${serviceAccount}`;
  for (const name of secretNames) {
    const id = secretIdFor(name, 'staging');
    const path = `/v1/projects/${project}/secrets/${id}`;
    if (await exists(t, 'secretmanager', path)) steps.push({ step: `secret ${id}`, status: 'exists' });
    else {
      await t.request({
        api: 'secretmanager',
        method: 'POST',
        path: `/v1/projects/${project}/secrets`,
        query: { secretId: id },
        body: {
          replication: { automatic: {} },
          labels: { 'prodguard-managed': 'true', 'prodguard-environment': 'staging' },
          annotations: {
            'prodguard.name': name,
            'prodguard.kind': name === 'DATABASE_URL' ? 'postgres' : 'external',
          },
        },
      });
      steps.push({ step: `secret ${id}`, status: planning ? 'planned' : 'created' });
    }
    // A secret that does not exist yet (plan mode) has no policy.
    const policy: IamPolicy =
      planning && !(await exists(t, 'secretmanager', path))
        ? {}
        : await t.request<IamPolicy>({
            api: 'secretmanager',
            method: 'POST',
            path: `${path}:getIamPolicy`,
            read: true,
          });
    const role = 'roles/secretmanager.secretAccessor';
    if (!policy.bindings?.some((b) => b.role === role && b.members.includes(member))) {
      const bindings = [
        ...(policy.bindings ?? []).filter((b) => b.role !== role),
        { role, members: [...(policy.bindings?.find((b) => b.role === role)?.members ?? []), member] },
      ];
      await t.request({
        api: 'secretmanager',
        method: 'POST',
        path: `${path}:setIamPolicy`,
        body: { policy: { bindings, ...(policy.etag ? { etag: policy.etag } : {}) } },
      });
      steps.push({
        step: `IAM ${role} on ${id} for ${serviceAccount}`,
        status: planning ? 'planned' : 'created',
      });
    } else steps.push({ step: `IAM ${role} on ${id}`, status: 'exists' });
  }
  const projectPolicy = await t.request<IamPolicy>({
    api: 'cloudresourcemanager',
    method: 'POST',
    path: `/v1/projects/${project}:getIamPolicy`,
    body: { options: { requestedPolicyVersion: 3 } },
    read: true,
  });
  const sqlRole = 'roles/cloudsql.client';
  if (!projectPolicy.bindings?.some((b) => b.role === sqlRole && b.members.includes(member))) {
    const others = (projectPolicy.bindings ?? []).filter((b) => b.role !== sqlRole);
    const current = projectPolicy.bindings?.find((b) => b.role === sqlRole)?.members ?? [];
    await t.request({
      api: 'cloudresourcemanager',
      method: 'POST',
      path: `/v1/projects/${project}:setIamPolicy`,
      body: {
        policy: {
          bindings: [...others, { role: sqlRole, members: [...current, member] }],
          ...(projectPolicy.etag ? { etag: projectPolicy.etag } : {}),
        },
      },
    });
    steps.push({
      step: `IAM ${sqlRole} on project ${project} for ${serviceAccount}`,
      status: planning ? 'planned' : 'created',
    });
  } else steps.push({ step: `IAM ${sqlRole} on project ${project}`, status: 'exists' });

  return {
    steps,
    secretsToFill: secretNames,
    cost: estimateStagingCost({ storageGb: 10, backupGb: 1, secretVersions: secretNames.length * 2 }),
  };
}

export function renderStagingCost(cost: ReturnType<typeof estimateStagingCost>, source: string): string {
  const lines = cost.lines.map((l) => `  ${l.item.padEnd(52)} $${l.monthlyUsd.toFixed(2)}`);
  return [
    'Estimated monthly cost of staging:',
    ...lines,
    `  ${'Total'.padEnd(52)} $${cost.totalUsd.toFixed(2)}   (the seed budgets ~$${cost.seedUsd})`,
    `  Prices: ${source}.`,
  ].join('\n');
}
