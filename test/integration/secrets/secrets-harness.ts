import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { AuditLog } from '../../../src/audit/index.js';
import { type Config, parseConfigText } from '../../../src/config/index.js';
import { ManualClock } from '../../../src/kernel/clock.js';
import { createLogger } from '../../../src/kernel/logger.js';
import { RULE_IDS } from '../../../src/rules/index.js';
import {
  type MasterKey,
  openSecretVault,
  pgRoleAdmin,
  type RolloutResult,
  type RotateSecretDeps,
  type RunningRevision,
  type RunningRevisionSecrets,
  resolveSecretEnv,
  SecretPins,
  type SecretsContext,
  type SecretVault,
  type ServiceRoller,
} from '../../../src/secrets/index.js';
import { StateStore } from '../../../src/store/index.js';
import { createTestDatabase, serverUrl, type TestDatabase } from '../../helpers/postgres.js';

/**
 * A stand-in for the deploy pipeline that does what matters for credentials: every rollout starts a new
 * "revision" (a real pg.Pool built from the pinned secret values, as the platform would), checks it with a
 * query, then retires the old revisions by ending their pools. Running revisions are reported from its state.
 */
export class PoolRoller implements ServiceRoller, RunningRevisionSecrets {
  readonly revisions: { revision: string; pins: Record<string, number>; pool: pg.Pool }[] = [];
  #seq = 0;
  /** Health check on start: a query through the new pool (off: pools connect lazily, like many apps). */
  healthQuery = true;
  /** Make the next rollout's health check fail, as a broken release would. */
  failNextRollout: string | undefined;

  constructor(
    readonly vault: SecretVault,
    readonly environment: string,
  ) {}

  async start(pins: Record<string, number>): Promise<string> {
    const env = await resolveSecretEnv(this.vault, this.environment, pins);
    const pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 2, connectionTimeoutMillis: 5000 });
    pool.on('error', () => {});
    if (this.failNextRollout) {
      const reason = this.failNextRollout;
      this.failNextRollout = undefined;
      await pool.end();
      throw new Error(reason);
    }
    if (this.healthQuery) {
      try {
        await pool.query('SELECT 1');
      } catch (error) {
        await pool.end();
        throw error;
      }
    }
    const revision = `${this.environment}-${String(++this.#seq).padStart(5, '0')}`;
    this.revisions.push({ revision, pins: { ...pins }, pool });
    return revision;
  }

  async rollout(environment: string, pins: Record<string, number>): Promise<RolloutResult> {
    if (environment !== this.environment) return { ok: false, error: `unknown environment ${environment}` };
    try {
      const revision = await this.start(pins);
      for (const old of this.revisions.filter((r) => r.revision !== revision)) await old.pool.end();
      this.revisions.splice(
        0,
        this.revisions.length,
        ...this.revisions.filter((r) => r.revision === revision),
      );
      return { ok: true, revision };
    } catch (error) {
      return { ok: false, error: (error as Error).message };
    }
  }

  /** Nothing here is half done: each rollout replaces its pools in one go. */
  async abortRollout(): Promise<{ message: string }> {
    return { message: 'no rollout was in progress' };
  }

  /**
   * Authentication errors since `since`: each running revision opens a new connection with its own
   * credentials (as a pool replacing a retired connection would); 28P01 failures are counted.
   */
  async authErrors(environment: string, since: string): Promise<number> {
    if (environment !== this.environment) return 0;
    for (const r of this.revisions) {
      const env = await resolveSecretEnv(this.vault, this.environment, r.pins).catch(() => undefined);
      if (!env?.DATABASE_URL) continue;
      const client = new pg.Client({ connectionString: env.DATABASE_URL, connectionTimeoutMillis: 5000 });
      try {
        await client.connect();
      } catch (error) {
        if ((error as { code?: string }).code === '28P01') this.authFailures.push(this.now());
      } finally {
        await client.end().catch(() => {});
      }
    }
    return this.authFailures.filter((at) => at >= since).length;
  }

  readonly authFailures: string[] = [];
  now: () => string = () => new Date().toISOString();

  async list(environment: string): Promise<RunningRevision[]> {
    return environment === this.environment
      ? this.revisions.map((r) => ({ revision: r.revision, secretVersions: r.pins }))
      : [];
  }

  /** A query through the serving revision's pool. */
  async query(sql = 'SELECT current_user AS u'): Promise<pg.QueryResult> {
    const serving = this.revisions.at(-1);
    if (!serving) throw new Error('nothing is serving');
    return serving.pool.query(sql);
  }

  async close(): Promise<void> {
    for (const r of this.revisions) await r.pool.end().catch(() => {});
    this.revisions.length = 0;
  }
}

export interface SecretsHarness {
  dir: string;
  db: TestDatabase;
  config: Config;
  store: StateStore;
  clock: ManualClock;
  ctx: SecretsContext;
  key: MasterKey;
  group: string;
  logs: string[];
  deps(extra?: Partial<RotateSecretDeps>): RotateSecretDeps;
  audit: AuditLog;
  adminUrl: string;
  close(): Promise<void>;
}

export async function createSecretsHarness(options: { extraYaml?: string } = {}): Promise<SecretsHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'prodguard-secrets-'));
  const db = await createTestDatabase('sec');
  const group = `g${randomBytes(4).toString('hex')}`;
  const config = parseConfigText(
    `version: 1
project:
  name: cvstomize-api
freeze:
  weekdays: []
secrets:
  groupRole: ${group}
  propagationTimeout: 1m
  propagationInterval: 5s
  authWatch: 30s
  destroyGracePeriod: 1d
${options.extraYaml ?? ''}
environments:
  staging:
    protected: true
  production:
    requires: staging
`,
    join(dir, 'prodguard.yaml'),
    RULE_IDS,
  );
  const store = StateStore.open(join(dir, 'state.db'));
  // A Wednesday: no weekday freeze applies.
  const clock = new ManualClock('2026-03-04T10:00:00Z');
  const knownSecrets = new Set<string>();
  const logs: string[] = [];
  const audit = new AuditLog(store, clock, () => [...knownSecrets]);
  const { vault, key } = openSecretVault({ store, clock, env: {}, stateDir: dir });
  const ctx: SecretsContext = {
    config,
    vault,
    pins: new SecretPins(store, clock),
    store,
    audit,
    clock,
    log: createLogger({
      level: 'debug',
      write: (line) => logs.push(line),
      knownSecrets: () => [...knownSecrets],
    }),
    actor: 'tester@example.com',
    knownSecrets,
  };
  return {
    dir,
    db,
    config,
    store,
    clock,
    ctx,
    key,
    group,
    logs,
    audit,
    adminUrl: serverUrl(db.name),
    deps: (extra = {}) => ({ postgres: pgRoleAdmin, key, ...extra }),
    close: async () => {
      store.close();
      await db.drop();
      await dropRoles(group);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Roles are cluster-wide: each test uses its own group name and drops it at the end. */
export async function dropRoles(group: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl() });
  await client.connect();
  try {
    for (const role of [`${group}_readonly`, `${group}_a`, `${group}_b`, group]) {
      await client.query(`DROP ROLE IF EXISTS ${client.escapeIdentifier(role)}`).catch(() => {});
    }
  } finally {
    await client.end();
  }
}

/** Tries one login; returns the SQLSTATE on failure. */
export async function loginCode(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? 'error';
  } finally {
    await client.end().catch(() => {});
  }
}

export function passwordOf(url: string): string {
  return decodeURIComponent(new URL(url).password);
}
