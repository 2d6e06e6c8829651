import { FakeCloudRun, type FakeCloudRunOptions } from './fake-cloud-run.js';
import { FakeCloudSql } from './fake-cloud-sql.js';
import { FakeHttpServer } from './fake-http.js';
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
    return fake;
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
