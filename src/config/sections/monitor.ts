import { z } from 'zod';
import { duration, durationOr, environmentName, percentage } from '../fields.js';

/** The `monitor` and `incident` keys. Owned by src/monitor and src/incident. */

const secretRef = z
  .union([
    z
      .object({
        env: z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
          .describe('Environment variable holding the value.'),
      })
      .strict(),
    z
      .object({
        secret: z.string().min(1).describe('Secret name in the prodguard vault.'),
        environment: environmentName
          .optional()
          .describe('Environment whose pinned version is used (default: the newest enabled version).'),
      })
      .strict(),
  ])
  .describe('Where a credential comes from: { env: NAME } or { secret: NAME }. Never the value itself.');

const severities = z
  .array(z.enum(['page', 'ticket']))
  .default(['page', 'ticket'])
  .describe('Alert severities this notifier receives (operation notices count as page).');

const notifierSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('webhook'),
      name: z.string().min(1).describe('Name shown in deliveries.'),
      url: z.string().url().describe('Receiver URL; the JSON body is POSTed.'),
      secret: secretRef
        .optional()
        .describe('HMAC-SHA256 signing key (header x-prodguard-signature, with x-prodguard-timestamp).'),
      severities,
    })
    .strict(),
  z
    .object({
      kind: z.literal('slack'),
      name: z.string().min(1),
      url: secretRef.describe('The incoming-webhook URL (it embeds a token, so it is a secret reference).'),
      severities,
    })
    .strict(),
  z
    .object({
      kind: z.literal('email'),
      name: z.string().min(1),
      host: z.string().min(1).describe('SMTP server.'),
      port: z.number().int().min(1).max(65535).default(587),
      secure: z
        .boolean()
        .default(false)
        .describe('TLS from the first byte (port 465); otherwise STARTTLS when offered.'),
      user: z.string().optional(),
      password: secretRef.optional(),
      from: z.string().min(3),
      to: z.array(z.string().min(3)).min(1),
      severities,
    })
    .strict(),
  z.object({ kind: z.literal('console'), name: z.string().min(1).default('console'), severities }).strict(),
]);

const probeCommon = {
  name: z.string().min(1).describe('Probe name, a label of its alert.'),
  interval: durationOr('Time between checks (seed §6: every 60 s; 1 s is allowed locally).', '60s', {
    min: '1s',
    max: '24h',
  }),
  timeout: duration('How long one check may take (default 80 % of the interval, at most 10 s).', {
    min: '100ms',
    max: '1m',
  }).optional(),
  retries: z
    .number()
    .int()
    .min(0)
    .max(20)
    .default(1)
    .describe('Failures in a row (after the first) before DOWN; PENDING meanwhile.'),
  upRetries: z
    .number()
    .int()
    .min(1)
    .max(20)
    .default(2)
    .describe('Successes in a row before a DOWN probe is UP again (against flapping).'),
};

const probeSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('http'),
      ...probeCommon,
      url: z
        .string()
        .url()
        .optional()
        .describe("Default: the environment's health.url, else its router URL plus app.healthPath."),
      expectStatus: z
        .tuple([z.number().int(), z.number().int()])
        .default([200, 299])
        .describe('Accepted status range.'),
    })
    .strict(),
  z
    .object({
      kind: z.literal('tcp'),
      ...probeCommon,
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(1).max(65535),
    })
    .strict(),
  z
    .object({
      kind: z.literal('database'),
      ...probeCommon,
      urlFrom: secretRef.describe('The connection URL (it holds the password, so it is a reference).'),
    })
    .strict(),
]);

const timings = (forDefault: string, keepDefault: string) => ({
  for: durationOr('How long the condition must hold before the alert fires.', forDefault, {
    min: '0s',
    max: '24h',
  }),
  keepFiringFor: durationOr(
    'How long the alert keeps firing after the condition clears (against flapping).',
    keepDefault,
    { min: '0s', max: '24h' },
  ),
});

const burnWindowSchema = z
  .object({
    long: duration('Long window, e.g. 1h.', { min: '1m', max: '30d' }),
    short: duration('Short window, typically 1/12 of the long one.', { min: '10s', max: '7d' }),
    burnRate: z.number().positive().describe('Error-budget burn rate both windows must reach.'),
    severity: z.enum(['page', 'ticket']),
  })
  .strict();

export const monitorConfigSchema = z
  .object({
    tick: durationOr('How often rules are evaluated and metrics scraped.', '10s', { min: '1s', max: '10m' }),
    appMetricsPath: z
      .string()
      .regex(/^\//)
      .nullable()
      .default('/metrics')
      .describe("Path of each serving revision's pool metrics (runtime poolMetricsText); null to skip."),
    protectedEnvironments: z
      .array(environmentName)
      .optional()
      .describe(
        'Environments whose deploys, rotations, migrations and maintenance send notices (default: the protected ones).',
      ),
    probes: z
      .record(environmentName, z.array(probeSchema))
      .optional()
      .describe('Probes per environment (default: one HTTP health probe per environment every 60 s).'),
    rules: z
      .object({
        errorRatio: z
          .object({
            threshold: percentage('5xx ÷ all requests (default: thresholds.errorRate).', '5%').optional(),
            window: durationOr('Window.', '5m', { min: '10s', max: '7d' }),
            ...timings('1m', '2m'),
          })
          .strict()
          .prefault({}),
        latencyP95: z
          .object({
            threshold: duration('p95 latency (default: thresholds.latencyP95).', {
              min: '10ms',
              max: '10m',
            }).optional(),
            window: durationOr('Window.', '5m', { min: '10s', max: '7d' }),
            ...timings('1m', '2m'),
          })
          .strict()
          .prefault({}),
        unavailable: z
          .object({
            count: z.number().int().min(1).default(5).describe('503 responses (seed §6: 5 in 300 s).'),
            window: durationOr('Window.', '300s', { min: '10s', max: '7d' }),
            ...timings('0s', '2m'),
          })
          .strict()
          .prefault({}),
        healthDown: z
          .object({ ...timings('0s', '0s') })
          .strict()
          .prefault({}),
        databaseErrors: z
          .object({
            count: z
              .number()
              .int()
              .min(1)
              .default(1)
              .describe('Failed connection attempts reported by the pools.'),
            window: durationOr('Window.', '5m', { min: '10s', max: '7d' }),
            ...timings('0s', '2m'),
          })
          .strict()
          .prefault({}),
        restarts: z
          .object({
            count: z.number().int().min(1).default(3).describe('Revision restarts (crash loop).'),
            window: durationOr('Window.', '10m', { min: '10s', max: '7d' }),
            ...timings('0s', '0s'),
          })
          .strict()
          .prefault({}),
        poolExhaustion: z
          .object({ ...timings('1m', '1m') })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({})
      .describe('Alert rules (seed §6 thresholds by default).'),
    slo: z
      .object({
        target: percentage('Availability SLO (share of requests that must not fail).', '99.9%'),
        windows: z
          .array(burnWindowSchema)
          .optional()
          .describe(
            'Burn-rate window pairs (default: SRE workbook 14.4× 1h/5m page, 6× 6h/30m page, 1× 3d/6h ticket).',
          ),
      })
      .strict()
      .prefault({})
      .describe('Multi-window, multi-burn-rate SLO alerts.'),
    grouping: z
      .object({
        groupWait: durationOr(
          'Wait before the first notification of an outage, to gather its alerts.',
          '30s',
          { min: '0s', max: '1h' },
        ),
        groupInterval: durationOr('Least time between notifications about a changed outage.', '5m', {
          min: '0s',
          max: '24h',
        }),
        repeatInterval: durationOr('Re-send a still-firing outage after this long.', '4h', {
          min: '1m',
          max: '7d',
        }),
      })
      .strict()
      .prefault({})
      .describe('Alertmanager-style grouping: one notification per environment and outage.'),
    notifiers: z
      .array(notifierSchema)
      .default([{ kind: 'console', name: 'console', severities: ['page', 'ticket'] }])
      .describe('Where alerts and notices go.'),
    delivery: z
      .object({
        attempts: z.number().int().min(1).max(10).default(4),
        backoff: durationOr('First retry delay; doubles each attempt.', '2s', { min: '10ms', max: '10m' }),
        timeout: durationOr('Timeout of one attempt.', '10s', { min: '100ms', max: '5m' }),
      })
      .strict()
      .prefault({}),
    silenceDefault: durationOr('Length of a silence when --duration is not given.', '2h', {
      min: '1m',
      max: '30d',
    }),
    probeRetention: durationOr('How long probe results are kept in the state store.', '7d', {
      min: '1h',
      max: '365d',
    }),
  })
  .strict()
  .prefault({})
  .describe('The monitor: probes, alert rules, notifications (seed §6).');

export const incidentConfigSchema = z
  .object({
    freezeSeverity: z
      .number()
      .int()
      .min(1)
      .max(5)
      .default(3)
      .describe(
        'Deploys are frozen while an incident of this severity or worse (lower number) is open (SEV-1..3).',
      ),
    rollbackWindow: durationOr(
      'Roll production back automatically when an incident opens and the newest deploy is younger than this.',
      '1h',
      { min: '0s', max: '24h' },
    ),
    autoOpen: z
      .array(
        z
          .object({
            alert: z.string().min(1).describe('Rule name, e.g. health-down or error-ratio.'),
            severity: z.number().int().min(1).max(5).default(2),
            environments: z
              .array(environmentName)
              .optional()
              .describe('Default: the last environment of the chain.'),
          })
          .strict(),
      )
      .default([
        { alert: 'health-down', severity: 2 },
        { alert: 'error-ratio', severity: 2 },
        { alert: 'slo-burn-1h', severity: 2 },
      ])
      .describe('Alerts that open an incident when they fire.'),
    postmortemDir: z
      .string()
      .default('docs/postmortems')
      .describe('Where `incident resolve` writes the postmortem.'),
  })
  .strict()
  .prefault({})
  .describe('Incident response (seed §10).');

export type MonitorConfig = z.output<typeof monitorConfigSchema>;
export type IncidentConfig = z.output<typeof incidentConfigSchema>;
