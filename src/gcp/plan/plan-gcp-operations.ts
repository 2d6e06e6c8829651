import type { Clock } from '../../kernel/clock.js';
import type { PostgresRoleAdmin } from '../../secrets/postgres-role-admin.js';
import type { SecretVault } from '../../secrets/secret-vault.js';
import type { CloudRunPlatform } from '../cloudrun/cloud-run-platform.js';
import type { GcpCallRecord, PlanTransport } from '../transport/index.js';

export interface PlannedStep {
  /** The pipeline or rotation step these calls belong to. */
  step: string;
  calls: GcpCallRecord[];
}

async function collect(
  transport: PlanTransport,
  steps: PlannedStep[],
  step: string,
  fn: () => Promise<unknown>,
): Promise<void> {
  const before = transport.calls.length;
  await fn();
  steps.push({ step, calls: transport.calls.slice(before) });
}

/**
 * The Google API calls of one deploy, in pipeline order, made against a PlanTransport: reads go to
 * Google (current traffic, etag), writes are only recorded. Same adapter code as a real deploy.
 */
export async function planCloudRunDeploy(
  platform: CloudRunPlatform,
  transport: PlanTransport,
  input: {
    environment: string;
    commit: string;
    digest?: string;
    canarySteps: readonly number[];
    secrets?: Record<string, { version: number; envVar: string }>;
  },
): Promise<PlannedStep[]> {
  const steps: PlannedStep[] = [];
  const service = await platform.getService(input.environment);
  const stable = service.traffic;
  let name = '';
  await collect(transport, steps, 'create revision at 0 % (tagged)', async () => {
    const rev = await platform.createRevision({
      service: input.environment,
      release: { commit: input.commit, digest: input.digest ?? '' },
      env: {},
      ...(input.secrets ? { secrets: input.secrets } : {}),
    });
    name = rev.name;
  });
  await collect(transport, steps, 'wait until ready (polls the revision)', () =>
    platform.waitReady(input.environment, name, 60_000),
  );
  for (const percent of input.canarySteps) {
    const rest = 100 - percent;
    const split =
      rest > 0 && stable.length > 0
        ? [
            ...stable.map((t) => ({ revision: t.revision, percent: Math.round((t.percent * rest) / 100) })),
            { revision: name, percent },
          ]
        : [{ revision: name, percent: 100 }];
    // Rounding: give any remainder to the new revision so the split sums to 100.
    const sum = split.reduce((s, t) => s + t.percent, 0);
    split[split.length - 1]!.percent += 100 - sum;
    await collect(transport, steps, `canary ${percent} %`, () =>
      platform
        .setTraffic(
          input.environment,
          split.filter((t) => t.percent > 0),
        )
        .catch(() => undefined),
    );
  }
  return steps;
}

/**
 * The Google API calls of one Cloud SQL password rotation (seed §4), by rotation step: set the password
 * with users.update, add the Secret Manager version, roll a revision pinned to it, move traffic. The
 * `test` step is a database login (not an API call) repeated until the password propagates.
 */
export async function planCloudSqlRotation(
  deps: {
    platform: CloudRunPlatform;
    vault: SecretVault;
    roles: PostgresRoleAdmin;
    transport: PlanTransport;
    clock: Clock;
  },
  input: { environment: string; secret: string; role: string; commit: string; envVar?: string },
): Promise<PlannedStep[]> {
  const steps: PlannedStep[] = [];
  const password = 'planned-password-not-real-0000';
  await collect(deps.transport, steps, 'set (Cloud SQL users.update)', () =>
    deps.roles.setPassword('', input.role, password),
  );
  steps.push({
    step: 'test (log in with the new password until it works, up to secrets.propagationTimeout)',
    calls: [],
  });
  let version = 0;
  await collect(deps.transport, steps, 'add-version (Secret Manager)', async () => {
    version = (
      await deps.vault.addVersion({ name: input.secret, environment: input.environment }, password, {
        actor: 'plan',
        kind: 'postgres',
        metadata: { role: input.role },
      })
    ).version;
  });
  const deploy = await planCloudRunDeploy(deps.platform, deps.transport, {
    environment: input.environment,
    commit: input.commit,
    canarySteps: [100],
    secrets: { [input.secret]: { version, envVar: input.envVar ?? input.secret } },
  });
  for (const s of deploy) steps.push({ step: `rollout: ${s.step}`, calls: s.calls });
  return steps;
}

export function renderPlannedSteps(steps: readonly PlannedStep[], options: { reads?: boolean } = {}): string {
  const out: string[] = [];
  for (const s of steps) {
    out.push(`# ${s.step}`);
    for (const c of s.calls) {
      if (c.kind === 'read' && !options.reads) continue;
      out.push(`${c.kind === 'read' ? '(read) ' : ''}${c.method} ${c.url}`);
      if (c.body !== undefined) out.push(`  ${JSON.stringify(c.body)}`);
      if (c.validation) out.push(`  (${c.validation})`);
    }
  }
  return out.join('\n');
}
