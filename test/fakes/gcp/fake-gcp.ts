import { FakeCloudRun, type FakeCloudRunOptions } from './fake-cloud-run.js';
import { FakeCloudSql } from './fake-cloud-sql.js';
import { FakeGoogleError, FakeHttpServer } from './fake-http.js';
import { FakeLogging } from './fake-logging.js';
import { FakeMonitoring } from './fake-monitoring.js';
import { FakeSecretManager } from './fake-secret-manager.js';

export interface FakeGcpOptions {
  /** The fake's notion of now (share the ManualClock the code under test uses). */
  now: () => Date;
  run?: Omit<FakeCloudRunOptions, 'now'>;
  sqlOperationPolls?: number;
}

/**
 * All five Google APIs prodguard calls, on one loopback server (their paths do not collide):
 * Cloud Run v2, Secret Manager v1, Cloud SQL Admin v1, Monitoring v3, Logging v2.
 */
export class FakeGcp {
  readonly http = new FakeHttpServer();
  readonly run: FakeCloudRun;
  readonly secretManager: FakeSecretManager;
  readonly sql: FakeCloudSql;
  readonly monitoring: FakeMonitoring;
  readonly logging = new FakeLogging();
  /** Project IAM policies (Cloud Resource Manager v1 getIamPolicy / setIamPolicy). */
  readonly projectPolicies = new Map<
    string,
    { bindings: { role: string; members: string[] }[]; etag: string }
  >();

  private constructor(options: FakeGcpOptions) {
    this.run = new FakeCloudRun({ ...options.run, now: options.now });
    this.secretManager = new FakeSecretManager({ now: options.now });
    this.sql = new FakeCloudSql({
      now: options.now,
      ...(options.sqlOperationPolls ? { operationPolls: options.sqlOperationPolls } : {}),
    });
    this.monitoring = new FakeMonitoring({ now: options.now });
  }

  static async start(options: FakeGcpOptions): Promise<FakeGcp> {
    const fake = new FakeGcp(options);
    await fake.http.listen();
    fake.run.register(fake.http);
    fake.secretManager.register(fake.http);
    fake.sql.register(fake.http);
    fake.monitoring.register(fake.http);
    fake.logging.register(fake.http);
    // Requests served at tag URLs show up in request_count / request_latencies, as on Cloud Run.
    fake.run.onAppRequest = (service, revision, status, location) =>
      fake.monitoring.addRunTraffic({
        project: fake.projectOf(service),
        service,
        revision,
        location,
        atMs: options.now().getTime(),
        byClass: { [`${String(status)[0]}xx`]: 1 },
        latenciesMs: [5],
      });
    fake.http.route('POST', /^\/v1\/projects\/([^/:]+):(getIamPolicy|setIamPolicy)$/, (r) => {
      const project = r.params[0]!;
      const current = fake.projectPolicies.get(project) ?? { bindings: [], etag: 'BwE0' };
      if (r.params[1] === 'getIamPolicy') return structuredClone(current);
      const policy = (
        r.body as { policy?: { bindings?: { role: string; members: string[] }[]; etag?: string } }
      )?.policy;
      if (!policy) throw new FakeGoogleError('INVALID_ARGUMENT', 'policy is required.');
      if (policy.etag !== undefined && policy.etag !== current.etag)
        throw new FakeGoogleError('ABORTED', 'There were concurrent policy changes.');
      const next = {
        bindings: policy.bindings ?? [],
        etag: `BwE${fake.projectPolicies.size + Number(current.etag.slice(3)) + 1}`,
      };
      fake.projectPolicies.set(project, next);
      return structuredClone(next);
    });
    return fake;
  }

  projectOf(serviceId: string): string {
    const full = [...this.run.services.keys()].find((n) => n.endsWith(`/services/${serviceId}`));
    return full?.split('/')[1] ?? 'unknown';
  }

  get url(): string {
    return this.http.url;
  }

  /** For RestTransportOptions.baseUrl: every API at this server. */
  baseUrl = (): string => this.http.url;

  close(): Promise<void> {
    return this.http.close();
  }
}
