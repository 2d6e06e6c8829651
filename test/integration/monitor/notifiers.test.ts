import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/kernel/clock.js';
import {
  createEmailNotifier,
  createSlackNotifier,
  createWebhookNotifier,
  type DeliveryRecord,
  deliverNotification,
  formatOperationNotice,
  type NotificationMessage,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifyWebhookSignature,
} from '../../../src/monitor/index.js';
import { startHttpSink, startSmtpSink } from './sinks.js';

const WEBHOOK_SECRET = 'whsec-4f1b2c9e8d7a6b5c4d3e2f1a0b9c8d7e';
const SMTP_PASSWORD = 'smtp-pw-Zq8!xR2#vT5kL9m';
const SLACK_URL_TOKEN = 'T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX';

const message: NotificationMessage = {
  id: 'n-1',
  kind: 'alert',
  environment: 'production',
  severity: 'page',
  title: '[FIRING:1] production: health-down',
  text: '✗ health-down (page): http probe health is DOWN: HTTP 503',
  payload: { status: 'firing', alerts: [{ labels: { alertname: 'health-down' } }] },
};

const lookup = async (ref: { env: string } | { secret: string }) => {
  const name = 'env' in ref ? ref.env : ref.secret;
  const values: Record<string, string> = {
    WEBHOOK_SECRET,
    SMTP_PASSWORD,
    SLACK_URL: '', // filled per test
  };
  if (!(name in values)) throw new Error(`no ${name}`);
  return values[name]!;
};

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('webhook notifier', () => {
  it('signs body and timestamp with HMAC-SHA256; the receiver verifies and rejects replays and tampering', async () => {
    const sink = await startHttpSink();
    cleanups.push(sink.close);
    const clock = new ManualClock('2026-12-01T10:00:00Z');
    const notifier = createWebhookNotifier({
      name: 'ops',
      url: `${sink.url}/hook`,
      secret: { env: 'WEBHOOK_SECRET' },
      severities: ['page'],
      timeoutMs: 5000,
      clock,
      lookup,
    });
    await notifier.send(message);
    const got = sink.received[0]!;
    const body = JSON.parse(got.body) as Record<string, unknown>;
    expect(body).toMatchObject({ id: 'n-1', environment: 'production', status: 'firing' });
    const check = (over: Partial<Parameters<typeof verifyWebhookSignature>[0]>) =>
      verifyWebhookSignature({
        secret: WEBHOOK_SECRET,
        body: got.body,
        signature: got.headers[SIGNATURE_HEADER] as string,
        timestamp: got.headers[TIMESTAMP_HEADER] as string,
        nowMs: clock.nowMs(),
        ...over,
      });
    expect(check({})).toEqual({ ok: true });
    expect(check({ body: got.body.replace('production', 'staging') })).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    expect(check({ secret: 'another-secret' })).toEqual({ ok: false, reason: 'mismatch' });
    expect(check({ nowMs: clock.nowMs() + 10 * 60_000 })).toEqual({ ok: false, reason: 'stale' });
    expect(check({ signature: undefined })).toEqual({ ok: false, reason: 'missing' });
    // The secret itself never travels.
    expect(JSON.stringify(got)).not.toContain(WEBHOOK_SECRET);
  });

  it('is retried with backoff on 5xx and recorded; the last failure is visible', async () => {
    const sink = await startHttpSink([500, 502]);
    cleanups.push(sink.close);
    const clock = new ManualClock('2026-12-01T10:00:00Z');
    const notifier = createWebhookNotifier({
      name: 'ops',
      url: `${sink.url}/hook`,
      severities: ['page'],
      timeoutMs: 5000,
      clock,
      lookup,
    });
    const records: DeliveryRecord[] = [];
    const start = clock.nowMs();
    const [final] = await deliverNotification(
      [notifier],
      message,
      { attempts: 4, backoffMs: 1000, timeoutMs: 5000 },
      {
        clock,
        record: (d) => records.push(d),
      },
    );
    expect(final).toMatchObject({ status: 'delivered', attempts: 3 });
    expect(records.map((r) => [r.status, r.attempts])).toEqual([
      ['pending', 1],
      ['pending', 2],
      ['delivered', 3],
    ]);
    expect(records[0]!.lastError).toMatch(/HTTP 500/);
    expect(clock.nowMs() - start).toBe(1000 + 2000); // 1 s, then 2 s

    const down = await startHttpSink([503, 503]);
    cleanups.push(down.close);
    const [failed] = await deliverNotification(
      [
        createWebhookNotifier({
          name: 'down',
          url: down.url,
          severities: ['page'],
          timeoutMs: 5000,
          clock,
          lookup,
        }),
      ],
      message,
      { attempts: 2, backoffMs: 10, timeoutMs: 5000 },
      { clock, record: () => {} },
    );
    expect(failed).toMatchObject({
      status: 'failed',
      attempts: 2,
      lastError: expect.stringMatching(/HTTP 503/),
    });
  });

  it('skips notifiers that do not take the severity', async () => {
    const clock = new ManualClock();
    const out = await deliverNotification(
      [
        createWebhookNotifier({
          name: 'pages-only',
          url: 'http://127.0.0.1:9',
          severities: ['page'],
          timeoutMs: 100,
          clock,
          lookup,
        }),
      ],
      { ...message, severity: 'ticket' },
      { attempts: 1, backoffMs: 1, timeoutMs: 100 },
      { clock, record: () => {} },
    );
    expect(out).toEqual([]);
  });
});

describe('slack notifier', () => {
  it('posts { text } to the incoming webhook and never prints its URL in errors', async () => {
    const sink = await startHttpSink([404]);
    cleanups.push(sink.close);
    const url = `${sink.url}/services/${SLACK_URL_TOKEN}`;
    const notifier = createSlackNotifier({
      name: 'team',
      url: { env: 'SLACK' },
      severities: ['page'],
      timeoutMs: 5000,
      lookup: async () => url,
    });
    const error = await notifier.send(message).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/slack notifier team answered HTTP 404/);
    expect(error?.message).not.toContain(SLACK_URL_TOKEN);
    await notifier.send(
      formatOperationNotice({
        env: 'production',
        kind: 'rotation',
        phase: 'started',
        target: 'DATABASE_URL v8',
      }),
    );
    expect(sink.received[1]!.path).toBe(`/services/${SLACK_URL_TOKEN}`);
    expect(JSON.parse(sink.received[1]!.body)).toEqual({
      text: '*[NOTICE] production: Password rotation started*\ntarget: DATABASE_URL v8',
    });
  });
});

describe('email notifier', () => {
  it('sends through a real SMTP server with AUTH; a wrong password fails without printing it', async () => {
    const smtp = await startSmtpSink({ user: 'alerts', password: SMTP_PASSWORD });
    cleanups.push(smtp.close);
    const make = (password: string) =>
      createEmailNotifier({
        name: 'mail',
        host: '127.0.0.1',
        port: smtp.port,
        secure: false,
        user: 'alerts',
        password: { env: 'SMTP_PASSWORD' },
        from: 'prodguard@example.com',
        to: ['oncall@example.com'],
        severities: ['page'],
        timeoutMs: 5000,
        lookup: async () => password,
      });
    await make(SMTP_PASSWORD).send(message);
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0]!.to).toEqual(['oncall@example.com']);
    expect(smtp.mails[0]!.raw).toContain('Subject: [FIRING:1] production: health-down');
    expect(smtp.mails[0]!.raw).toContain('X-Prodguard-Notification: n-1');

    const wrong = 'wrong-password-Yy7#Kk2';
    const error = await make(wrong)
      .send(message)
      .then(
        () => undefined,
        (e: Error) => e,
      );
    expect(error?.message).toMatch(/SMTP 127\.0\.0\.1:\d+ refused the mail/);
    expect(error?.message).not.toContain(wrong);
    expect(smtp.logins.map((l) => l.ok)).toEqual([true, false]);
  });
});

describe('operation notices (seed §3, §4)', () => {
  it('reach the team by email for protected environments only, recorded, the SMTP password nowhere', async () => {
    const smtp = await startSmtpSink({ user: 'alerts', password: SMTP_PASSWORD });
    cleanups.push(smtp.close);
    const { parseConfigText } = await import('../../../src/config/index.js');
    const { StateStore } = await import('../../../src/store/index.js');
    const { createOperationNoticeSender, MonitorStore } = await import('../../../src/monitor/index.js');
    const config = parseConfigText(
      `version: 1
project: { name: api }
environments:
  staging: {}
  production: { requires: staging }
monitor:
  notifiers:
    - kind: email
      name: team
      host: 127.0.0.1
      port: ${smtp.port}
      user: alerts
      password: { env: SMTP_PASSWORD }
      from: prodguard@example.com
      to: [team@example.com]
`,
      '/tmp/prodguard.yaml',
    );
    const store = StateStore.open(':memory:');
    cleanups.push(async () => store.close());
    const notify = createOperationNoticeSender(config, {
      store,
      clock: new ManualClock(),
      lookup: async (ref) => ('env' in ref && ref.env === 'SMTP_PASSWORD' ? SMTP_PASSWORD : ''),
      write: () => {},
    });
    expect(await notify({ env: 'staging', kind: 'deploy', phase: 'started' })).toMatchObject({ sent: false });
    const started = await notify({
      env: 'production',
      kind: 'rotation',
      phase: 'started',
      target: 'DATABASE_URL v8',
      actor: 'alice',
    });
    const finished = await notify({
      env: 'production',
      kind: 'rotation',
      phase: 'finished',
      outcome: 'success',
    });
    expect([started.sent, finished.sent]).toEqual([true, true]);
    expect(smtp.mails.map((m) => /Subject: (.*)/.exec(m.raw)![1])).toEqual([
      '[NOTICE] production: Password rotation started',
      '[NOTICE] production: Password rotation finished',
    ]);
    const deliveries = new MonitorStore(store).readDeliveries();
    expect(deliveries.map((d) => [d.notifier, d.status])).toEqual([
      ['team', 'delivered'],
      ['team', 'delivered'],
    ]);
    const dump =
      JSON.stringify(store.db.prepare('SELECT * FROM monitor_notifications').all()) +
      JSON.stringify(deliveries);
    expect(dump).not.toContain(SMTP_PASSWORD);
  });
});
