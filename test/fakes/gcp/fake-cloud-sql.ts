import type { FakeHttpServer, FakeRequest } from './fake-http.js';
import { FakeGoogleError, requireObject } from './fake-http.js';

export interface SqlOperationResource {
  kind: 'sql#operation';
  name: string;
  status: 'PENDING' | 'RUNNING' | 'DONE';
  operationType: string;
  targetId: string;
  targetProject: string;
  insertTime: string;
  startTime?: string;
  endTime?: string;
  selfLink: string;
  error?: {
    kind: 'sql#operationErrors';
    errors: { kind: 'sql#operationError'; code: string; message: string }[];
  };
  backupContext?: { kind: 'sql#backupContext'; backupId: string };
}

export interface SqlBackupRun {
  kind: 'sql#backupRun';
  id: string;
  status: 'ENQUEUED' | 'RUNNING' | 'SUCCESSFUL' | 'FAILED' | 'DELETION_PENDING';
  type: 'ON_DEMAND' | 'AUTOMATED';
  description?: string;
  instance: string;
  enqueuedTime: string;
  startTime?: string;
  endTime?: string;
  error?: { kind: 'sql#operationError'; code: string; message: string };
  backupKind: 'SNAPSHOT';
}

interface UserState {
  name: string;
  host: string;
  /** Passwords in the order they were set, with the time each starts working for new logins. */
  passwords: { password: string; effectiveAtMs: number }[];
}

interface OpState {
  resource: SqlOperationResource;
  pollsLeft: number;
  onDone?: () => void;
  fail?: string;
}

export interface FakeCloudSqlOptions {
  now: () => Date;
  /** Polls of an operation (PENDING → RUNNING → DONE) before it is done. */
  operationPolls?: number;
}

const INSTANCES = /^\/v1\/projects\/([^/]+)\/instances$/;
const INSTANCE = /^\/v1\/projects\/([^/]+)\/instances\/([^/]+)$/;
const USERS = /^\/v1\/projects\/([^/]+)\/instances\/([^/]+)\/users$/;
const DATABASES = /^\/v1\/projects\/([^/]+)\/instances\/([^/]+)\/databases$/;
const BACKUP_RUNS = /^\/v1\/projects\/([^/]+)\/instances\/([^/]+)\/backupRuns$/;
const BACKUP_RUN = /^\/v1\/projects\/([^/]+)\/instances\/([^/]+)\/backupRuns\/([^/]+)$/;
const OPERATION = /^\/v1\/projects\/([^/]+)\/operations\/([^/]+)$/;

/**
 * Cloud SQL Admin v1: its own Operation resource (not google.longrunning), users.update returning an
 * operation, and password propagation: after users.update is DONE a new password works for new logins
 * only `propagationDelayMs` later (the seed measured 5–15 minutes), while the old one still does.
 */
export class FakeCloudSql {
  readonly instances = new Map<string, Record<string, unknown>>();
  readonly databases = new Map<string, string[]>();
  readonly users = new Map<string, UserState>();
  readonly backupRuns = new Map<string, SqlBackupRun[]>();
  readonly operations = new Map<string, OpState>();
  /** How long after users.update finishes the new password starts to work for new logins. */
  propagationDelayMs = 0;
  #failNextBackup: string | undefined;
  #counter = 0;
  readonly #now: () => Date;
  readonly #operationPolls: number;

  constructor(options: FakeCloudSqlOptions) {
    this.#now = options.now;
    this.#operationPolls = options.operationPolls ?? 2;
  }

  register(http: FakeHttpServer): void {
    http.route('POST', INSTANCES, (r) => this.#createInstance(r));
    http.route('GET', INSTANCE, (r) => structuredClone(this.#instance(r.params[0]!, r.params[1]!)));
    http.route('GET', USERS, (r) => this.#listUsers(r));
    http.route('PUT', USERS, (r) => this.#updateUser(r));
    http.route('POST', USERS, (r) => this.#insertUser(r));
    http.route('GET', DATABASES, (r) => ({
      kind: 'sql#databasesList',
      items: (this.databases.get(this.#key(r)) ?? []).map((name) => ({
        kind: 'sql#database',
        name,
        instance: r.params[1],
      })),
    }));
    http.route('POST', DATABASES, (r) => this.#insertDatabase(r));
    http.route('POST', BACKUP_RUNS, (r) => this.#insertBackup(r));
    http.route('GET', BACKUP_RUNS, (r) => ({
      kind: 'sql#backupRunsList',
      items: structuredClone(this.backupRuns.get(this.#key(r)) ?? []),
    }));
    http.route('GET', BACKUP_RUN, (r) => {
      const run = (this.backupRuns.get(this.#key(r)) ?? []).find((b) => b.id === r.params[2]);
      if (!run) throw new FakeGoogleError('NOT_FOUND', `The backup run ${r.params[2]} does not exist.`);
      return structuredClone(run);
    });
    http.route('GET', OPERATION, (r) => this.#getOperation(r.params[0]!, r.params[1]!));
  }

  seedInstance(project: string, instance: string, region = 'europe-west1', tier = 'db-custom-1-3840'): void {
    this.instances.set(
      `${project}/${instance}`,
      this.#instanceResource(project, instance, region, tier, 'RUNNABLE'),
    );
    this.databases.set(`${project}/${instance}`, ['postgres']);
  }

  seedUser(project: string, instance: string, name: string, password: string): void {
    this.users.set(`${project}/${instance}/${name}`, {
      name,
      host: '',
      passwords: [{ password, effectiveAtMs: 0 }],
    });
  }

  /** Whether a *new* login with this password succeeds now (what a test login sees). */
  loginWorks(project: string, instance: string, user: string, password: string): boolean {
    const state = this.users.get(`${project}/${instance}/${user}`);
    if (!state) return false;
    const now = this.#now().getTime();
    const effective = state.passwords.filter((p) => p.effectiveAtMs <= now).pop();
    return effective?.password === password;
  }

  /** The next backupRuns.insert ends FAILED with this message. */
  failNextBackup(message: string): void {
    this.#failNextBackup = message;
  }

  #key(r: FakeRequest): string {
    this.#instance(r.params[0]!, r.params[1]!);
    return `${r.params[0]}/${r.params[1]}`;
  }

  #instanceResource(
    project: string,
    name: string,
    region: string,
    tier: string,
    state: string,
  ): Record<string, unknown> {
    return {
      kind: 'sql#instance',
      name,
      project,
      state,
      databaseVersion: 'POSTGRES_15',
      region,
      connectionName: `${project}:${region}:${name}`,
      settings: { tier, availabilityType: 'ZONAL', backupConfiguration: { enabled: true } },
      ipAddresses: [{ type: 'PRIMARY', ipAddress: '203.0.113.10' }],
      instanceType: 'CLOUD_SQL_INSTANCE',
    };
  }

  #instance(project: string, instance: string): Record<string, unknown> {
    const i = this.instances.get(`${project}/${instance}`);
    if (!i) throw new FakeGoogleError('NOT_FOUND', 'The Cloud SQL instance does not exist.');
    return i;
  }

  #operation(
    project: string,
    targetId: string,
    operationType: string,
    onDone?: () => void,
  ): SqlOperationResource {
    this.#counter += 1;
    const name = `op-${String(this.#counter).padStart(4, '0')}-${operationType.toLowerCase()}`;
    const resource: SqlOperationResource = {
      kind: 'sql#operation',
      name,
      status: 'PENDING',
      operationType,
      targetId,
      targetProject: project,
      insertTime: this.#now().toISOString(),
      selfLink: `https://sqladmin.googleapis.com/v1/projects/${project}/operations/${name}`,
    };
    this.operations.set(`${project}/${name}`, {
      resource,
      pollsLeft: this.#operationPolls,
      ...(onDone ? { onDone } : {}),
    });
    return structuredClone(resource);
  }

  #getOperation(project: string, name: string): unknown {
    const op = this.operations.get(`${project}/${name}`);
    if (!op) throw new FakeGoogleError('NOT_FOUND', `The operation ${name} does not exist.`);
    if (op.resource.status !== 'DONE') {
      op.pollsLeft -= 1;
      if (op.resource.status === 'PENDING') {
        op.resource.status = 'RUNNING';
        op.resource.startTime = this.#now().toISOString();
      }
      if (op.pollsLeft <= 0) {
        op.resource.status = 'DONE';
        op.resource.endTime = this.#now().toISOString();
        if (op.fail)
          op.resource.error = {
            kind: 'sql#operationErrors',
            errors: [{ kind: 'sql#operationError', code: 'BACKUP_FAILED', message: op.fail }],
          };
        op.onDone?.();
      }
    }
    return structuredClone(op.resource);
  }

  #createInstance(r: FakeRequest): unknown {
    const project = r.params[0]!;
    const body = requireObject(r.body, 'DatabaseInstance');
    const name = String(body.name ?? '');
    if (!/^[a-z][a-z0-9-]{0,97}$/.test(name))
      throw new FakeGoogleError('INVALID_ARGUMENT', `Invalid instance name ${name}.`);
    if (this.instances.has(`${project}/${name}`))
      throw new FakeGoogleError('ALREADY_EXISTS', 'The Cloud SQL instance already exists.');
    const settings = (body.settings ?? {}) as { tier?: string };
    if (!settings.tier) throw new FakeGoogleError('INVALID_ARGUMENT', 'settings.tier is required.');
    const resource = this.#instanceResource(
      project,
      name,
      String(body.region ?? 'us-central1'),
      settings.tier,
      'PENDING_CREATE',
    );
    resource.databaseVersion = body.databaseVersion ?? 'POSTGRES_15';
    this.instances.set(`${project}/${name}`, resource);
    this.databases.set(`${project}/${name}`, ['postgres']);
    return this.#operation(project, name, 'CREATE', () => {
      resource.state = 'RUNNABLE';
    });
  }

  #insertDatabase(r: FakeRequest): unknown {
    const key = this.#key(r);
    const body = requireObject(r.body, 'Database');
    const name = String(body.name ?? '');
    const list = this.databases.get(key)!;
    if (list.includes(name))
      throw new FakeGoogleError('ALREADY_EXISTS', `Database "${name}" already exists.`);
    return this.#operation(r.params[0]!, r.params[1]!, 'CREATE_DATABASE', () => list.push(name));
  }

  #listUsers(r: FakeRequest): unknown {
    const key = this.#key(r);
    return {
      kind: 'sql#usersList',
      items: [...this.users.entries()]
        .filter(([k]) => k.startsWith(`${key}/`))
        .map(([, u]) => ({
          kind: 'sql#user',
          name: u.name,
          host: u.host,
          instance: r.params[1],
          project: r.params[0],
          type: 'BUILT_IN',
        })),
    };
  }

  #setPassword(key: string, name: string, password: string): void {
    const user = this.users.get(`${key}/${name}`) ?? { name, host: '', passwords: [] };
    this.users.set(`${key}/${name}`, user);
    user.passwords.push({ password, effectiveAtMs: this.#now().getTime() + this.propagationDelayMs });
  }

  #updateUser(r: FakeRequest): unknown {
    const key = this.#key(r);
    const name = r.query.get('name');
    if (!name) throw new FakeGoogleError('INVALID_ARGUMENT', 'Missing required parameter: name.');
    if (!this.users.has(`${key}/${name}`))
      throw new FakeGoogleError('NOT_FOUND', `The user ${name} does not exist.`);
    const body = requireObject(r.body, 'User');
    const password = body.password;
    if (typeof password !== 'string' || password.length === 0)
      throw new FakeGoogleError('INVALID_ARGUMENT', 'User.password is required.');
    return this.#operation(r.params[0]!, r.params[1]!, 'UPDATE_USER', () =>
      this.#setPassword(key, name, password),
    );
  }

  #insertUser(r: FakeRequest): unknown {
    const key = this.#key(r);
    const body = requireObject(r.body, 'User');
    const name = String(body.name ?? '');
    if (this.users.has(`${key}/${name}`))
      throw new FakeGoogleError('ALREADY_EXISTS', `The user ${name} already exists.`);
    const password = String(body.password ?? '');
    return this.#operation(r.params[0]!, r.params[1]!, 'CREATE_USER', () =>
      this.#setPassword(key, name, password),
    );
  }

  #insertBackup(r: FakeRequest): unknown {
    const key = this.#key(r);
    const body = (r.body ?? {}) as { description?: string };
    const runs = this.backupRuns.get(key) ?? [];
    this.backupRuns.set(key, runs);
    const run: SqlBackupRun = {
      kind: 'sql#backupRun',
      id: String(1_700_000_000_000 + runs.length + 1),
      status: 'ENQUEUED',
      type: 'ON_DEMAND',
      ...(body.description ? { description: body.description } : {}),
      instance: r.params[1]!,
      enqueuedTime: this.#now().toISOString(),
      backupKind: 'SNAPSHOT',
    };
    runs.unshift(run);
    const fail = this.#failNextBackup;
    this.#failNextBackup = undefined;
    const op = this.#operation(r.params[0]!, r.params[1]!, 'BACKUP_VOLUME', () => {
      run.endTime = this.#now().toISOString();
      if (fail) {
        run.status = 'FAILED';
        run.error = { kind: 'sql#operationError', code: 'BACKUP_FAILED', message: fail };
      } else run.status = 'SUCCESSFUL';
    });
    run.status = 'RUNNING';
    run.startTime = this.#now().toISOString();
    const stored = this.operations.get(`${r.params[0]}/${op.name}`)!;
    stored.resource.backupContext = { kind: 'sql#backupContext', backupId: run.id };
    if (fail) stored.fail = fail;
    return structuredClone(stored.resource);
  }
}
