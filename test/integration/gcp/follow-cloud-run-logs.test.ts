import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { followCloudRunLogs, timestampKey } from '../../../src/gcp/cloudrun/follow-cloud-run-logs.js';
import { createRestTransport } from '../../../src/gcp/transport/index.js';
import { type Clock, ManualClock } from '../../../src/kernel/clock.js';
import type { LogLine } from '../../../src/platform/local/read-revision-logs.js';
import { FakeGcp } from '../../fakes/gcp/index.js';
import { PRODGUARD_BIN } from '../../helpers/cli.js';
import { waitFor } from '../../helpers/wait-for.js';
import { cloudRunPlatformYaml } from './cloud-run-yaml.js';

const binding = { project: 'cvstomize-prod', region: 'us-central1', service: 'api' };

function entry(timestamp: string, text: string, service = 'api', revision = 'api-00001-abc') {
  return {
    resource: {
      type: 'cloud_run_revision',
      labels: {
        project_id: 'cvstomize-prod',
        service_name: service,
        location: 'us-central1',
        revision_name: revision,
      },
    },
    timestamp,
    severity: 'INFO' as const,
    textPayload: text,
  };
}

/** A ManualClock whose every sleep is one step of the test's script (entries arrive, Ctrl-C). */
class ScriptedClock implements Clock {
  readonly manual = new ManualClock('2026-03-04T10:00:00Z');
  sleeps: number[] = [];
  constructor(private readonly step: (n: number) => void) {}
  now() {
    return this.manual.now();
  }
  nowMs() {
    return this.manual.nowMs();
  }
  async sleep(ms: number) {
    this.manual.advance(ms);
    this.sleeps.push(ms);
    this.step(this.sleeps.length);
  }
}

describe('logs --follow on Cloud Run: entries:list polled on the injected clock (Logging faked over HTTP)', () => {
  let fake: FakeGcp;
  beforeEach(async () => {
    fake = await FakeGcp.start({ now: () => new Date('2026-03-04T10:00:00Z') });
  });
  afterEach(() => fake.close());

  it('prints each new entry once, oldest first: same-timestamp and late entries kept, other services left out, Ctrl-C ends it', async () => {
    fake.logging.add(entry('2026-03-04T09:59:50.000Z', 'before'));
    fake.logging.add(entry('2026-03-04T09:59:55.000Z', 'another service', 'web'));
    const controller = new AbortController();
    const clock = new ScriptedClock((n) => {
      if (n === 1) {
        fake.logging.add(entry('2026-03-04T10:00:01.000Z', 'a'));
        fake.logging.add(entry('2026-03-04T10:00:01.000Z', 'b (same timestamp)'));
      }
      if (n === 2) {
        fake.logging.add(entry('2026-03-04T10:00:01.000Z', 'c (same timestamp, indexed late)'));
        fake.logging.add(entry('2026-03-04T09:59:58.000Z', 'd (late, within the lookback)'));
        fake.logging.add(entry('2026-03-04T09:59:30.000Z', 'too late: behind the lookback'));
      }
      if (n === 4)
        fake.logging.add(
          entry('2026-03-04T10:00:09.000Z', 'connect postgres://app:hunter2secret@10.0.0.5/app'),
        );
      if (n === 5) controller.abort();
    });
    const printed: LogLine[][] = [];
    const result = await followCloudRunLogs(
      createRestTransport({ token: async () => 't', clock: clock.manual, baseUrl: fake.baseUrl }),
      binding,
      { environment: 'production', clock, signal: controller.signal },
      (lines) => printed.push(lines),
    );
    expect(printed.map((batch) => batch.map((l) => l.text))).toEqual([
      ['before'],
      ['a', 'b (same timestamp)'],
      ['d (late, within the lookback)', 'c (same timestamp, indexed late)'],
      ['connect postgres://app:[redacted]@10.0.0.5/app'],
    ]);
    expect(result).toEqual({ polls: 4, lines: 6 });
    // Every 2 s of the injected clock; each poll reads from the newest timestamp minus the 10 s lookback.
    expect(clock.sleeps).toEqual([2000, 2000, 2000, 2000, 2000]);
    const lists = fake.http.log.filter((r) => r.path === '/v2/entries:list');
    expect(lists).toHaveLength(5);
    expect(lists[0]!.body).toMatchObject({ orderBy: 'timestamp desc' });
    expect(lists[1]!.body).toMatchObject({ orderBy: 'timestamp asc' });
    expect((lists[1]!.body as { filter: string }).filter).toContain('timestamp>="2026-03-04T09:59:40.000Z"');
    expect((lists[2]!.body as { filter: string }).filter).toContain('timestamp>="2026-03-04T09:59:51.000Z"');
  });

  it('stops after maxPolls, and a revision filter reaches the API', async () => {
    const clock = new ScriptedClock(() => {});
    const result = await followCloudRunLogs(
      createRestTransport({ token: async () => 't', clock: clock.manual, baseUrl: fake.baseUrl }),
      binding,
      {
        environment: 'production',
        revision: 'api-00002-xyz',
        clock,
        signal: new AbortController().signal,
        intervalMs: 5000,
        maxPolls: 3,
      },
      () => {},
    );
    expect(result).toEqual({ polls: 3, lines: 0 });
    expect(clock.sleeps).toEqual([5000, 5000, 5000]);
    for (const r of fake.http.log)
      expect((r.body as { filter: string }).filter).toContain(
        'resource.labels.revision_name="api-00002-xyz"',
      );
  });

  it('a poll Google does not answer (503 after the retries) is tried again at the next interval; too many in a row end it', async () => {
    const controller = new AbortController();
    const clock = new ScriptedClock((n) => {
      // Poll 1 fails after the transport's 5 attempts; the entry it missed comes with poll 2.
      if (n === 1) {
        fake.http.inject({ pathIncludes: 'entries:list', status: 'UNAVAILABLE', times: 5 });
        fake.logging.add(entry('2026-03-04T10:00:01.000Z', 'during the outage'));
      }
      if (n >= 10 && n < 20) controller.abort();
    });
    const transport = createRestTransport({
      token: async () => 't',
      clock: clock.manual,
      baseUrl: fake.baseUrl,
    });
    const printed: string[] = [];
    const errors: number[] = [];
    const result = await followCloudRunLogs(
      transport,
      binding,
      {
        environment: 'production',
        clock,
        signal: controller.signal,
        intervalMs: 1000,
        onPollError: (_e, n) => errors.push(n),
      },
      (lines) => printed.push(...lines.map((l) => l.text)),
    );
    expect(printed).toEqual(['during the outage']);
    expect(errors).toEqual([1]);
    expect(result.lines).toBe(1);

    // After the first read, Google stays unavailable: two failed polls are tolerated, the third ends it.
    const calm = new ScriptedClock((n) => {
      if (n === 1) fake.http.inject({ pathIncludes: 'entries:list', status: 'UNAVAILABLE', times: 1_000 });
    });
    const tolerated: number[] = [];
    await expect(
      followCloudRunLogs(
        createRestTransport({ token: async () => 't', clock: calm.manual, baseUrl: fake.baseUrl }),
        binding,
        {
          environment: 'production',
          since: new Date('2026-03-04T10:00:00Z'),
          clock: calm,
          signal: new AbortController().signal,
          maxConsecutiveErrors: 2,
          onPollError: (_e, n) => tolerated.push(n),
        },
        () => {},
      ),
    ).rejects.toMatchObject({ code: 'PRODGUARD_GCP_UNAVAILABLE' });
    expect(tolerated).toEqual([1, 2]);
    expect(calm.sleeps).toHaveLength(3);
  });

  it('orders timestamps whatever the digits of their fraction', () => {
    const sorted = ['2026-03-04T10:00:00.5Z', '2026-03-04T10:00:00Z', '2026-03-04T10:00:00.123456789Z']
      .map(timestampKey)
      .sort();
    expect(sorted).toEqual([
      '2026-03-04T10:00:00.000000000Z',
      '2026-03-04T10:00:00.123456789Z',
      '2026-03-04T10:00:00.500000000Z',
    ]);
  });

  it('the real CLI follows a Cloud Run environment until Ctrl-C, printing new entries as they arrive', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prodguard-logs-follow-'));
    try {
      writeFileSync(
        join(dir, 'prodguard.yaml'),
        `version: 1
project:
  name: logs-follow
environments:
  staging: {}
  production:
    requires: staging
${cloudRunPlatformYaml()}`,
      );
      const now = Date.now();
      fake.logging.add(entry(new Date(now - 5_000).toISOString(), 'first line'));
      const child = spawn(process.execPath, [PRODGUARD_BIN, 'logs', 'production', '--follow', '--json'], {
        cwd: dir,
        env: {
          ...process.env,
          NO_COLOR: '1',
          PRODGUARD_ACTOR: 'tester@example.com',
          PRODGUARD_GCP_ENDPOINT: fake.url,
          PRODGUARD_GCP_TOKEN: 'fake-token',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
      });
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      await waitFor('the first line', () => stdout.includes('first line'));
      fake.logging.add(entry(new Date(now + 1_000).toISOString(), 'arrived while following'));
      await waitFor('the new line', () => stdout.includes('arrived while following'));
      child.kill('SIGINT');
      expect(await exited, stderr).toBe(0);
      const lines = stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as LogLine);
      expect(lines.map((l) => l.text)).toEqual(['first line', 'arrived while following']);
      expect(lines[1]).toMatchObject({ revision: 'api-00001-abc', stream: 'out' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
