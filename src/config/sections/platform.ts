import { z } from 'zod';
import { durationOr } from '../fields.js';

/**
 * The `app` key (how to build and start the user's application) and each environment's platform keys.
 * Owned by the platform and deploy domains (src/platform, src/deploy).
 */
export const appConfigSchema = z
  .object({
    start: z
      .string()
      .default('npm start')
      .describe('Command that starts one instance of the app; it must listen on $PORT.'),
    build: z
      .string()
      .optional()
      .describe('Command run once per release in the extracted artifact, e.g. `npm ci`.'),
    buildTimeout: durationOr('Longest the build command may run.', '15m', { min: '1s', max: '2h' }),
    healthPath: z
      .string()
      .regex(/^\//, { message: 'Expected a path starting with /, such as /health' })
      .optional()
      .describe(
        'Path that answers 2xx when an instance is ready. Omit when the app has none: any HTTP answer then means ready.',
      ),
    startupTimeout: durationOr('How long a new instance may take to become ready.', '60s', {
      min: '1s',
      max: '1h',
    }),
    drainTimeout: durationOr(
      'How long in-flight requests may take to finish before an instance taken out of traffic is stopped.',
      '30s',
      { min: '0s', max: '1h' },
    ),
    stopGrace: durationOr('Time between SIGTERM and SIGKILL when an instance is stopped.', '10s', {
      min: '0s',
      max: '10m',
    }),
    env: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string())
      .default({})
      .describe(
        'Environment variables for the app, with {placeholders}: {environment}, {revision}, {commit}, {digest}, {port}, or values the deploy provides such as {database.host}. Example: DB_HOST: "{database.host}".',
      ),
    runAs: z
      .string()
      .regex(/^(?:[a-z_][a-z0-9_.-]*[$]?|[0-9]+)$/i, {
        message: 'Expected a user name (e.g. nobody) or a numeric uid',
      })
      .optional()
      .describe(
        "User the revisions, smoke and E2E scripts run as when prodguard runs as root (a name from /etc/passwd, or a numeric uid); never root. Builds always run as a uid of their own. Unset (the default): each environment runs as a uid and group of its own, with no /etc/passwd entry (like systemd's DynamicUser), so a staging revision or a build can neither read another environment's files nor signal or trace its processes. Set, every environment shares that user (each still with a group of its own): use it only when the app needs a real account. Not root: revisions run as prodguard's own user (which cannot switch users) and this key is ignored, so one prodguard.yaml serves a developer and a root CI. Example: prodguard-app.",
      ),
    agentPort: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .default(4100)
      .describe('Loopback port of the local platform agent API (`prodguard up`).'),
  })
  .strict()
  .prefault({})
  .describe('How to build and start the application.');

export const environmentPlatformSchema = z
  .object({
    port: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .optional()
      .describe(
        "Loopback port of this environment's router. Omit to let the agent pick a free port once and keep it.",
      ),
    env: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string())
      .default({})
      .describe('Plain environment variables for every revision of this environment (no secrets here).'),
    kind: z
      .enum(['local', 'cloudrun'])
      .default('local')
      .describe(
        'Where this environment runs: the local agent, or a Google Cloud Run service (then project, region, service and image are required).',
      ),
    project: z
      .string()
      .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, {
        message: 'Expected a Google Cloud project id such as my-app-prod',
      })
      .optional()
      .describe('Cloud Run: the Google Cloud project id.'),
    region: z
      .string()
      .regex(/^[a-z]+-[a-z]+\d+$/, { message: 'Expected a region such as us-central1' })
      .optional()
      .describe('Cloud Run: the region of the service, e.g. us-central1.'),
    service: z
      .string()
      .regex(/^[a-z]([-a-z0-9]{0,47}[a-z0-9])?$/, { message: 'Expected a Cloud Run service id such as api' })
      .optional()
      .describe('Cloud Run: the service id this environment deploys to.'),
    image: z
      .string()
      .optional()
      .describe(
        'Cloud Run: the container image of a release, with {commit} (full sha), e.g. us-docker.pkg.dev/my-app/app/api:{commit}. CI builds and pushes it; prodguard deploys it.',
      ),
    maintenanceImage: z
      .string()
      .optional()
      .describe(
        'Cloud Run: an image that answers 503 with the page in $MAINTENANCE_MESSAGE (deployed once as a tagged revision for `maintenance on`).',
      ),
    metricsLag: durationOr(
      'Cloud Run: how late Cloud Monitoring data arrives; analysis windows end this long before now (Google documents up to ~180 s).',
      '3m',
      { min: '0s', max: '30m' },
    ),
    sqlInstance: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,97}$/, { message: 'Expected a Cloud SQL instance name such as api-db' })
      .optional()
      .describe(
        'Cloud SQL instance of this environment (same project): rotation sets passwords with users.update and migrations take an on-demand backup first.',
      ),
    sqlProxy: z
      .object({
        mode: z
          .enum(['auto', 'on', 'off'])
          .default('auto')
          .describe(
            'auto: start the Cloud SQL Auth Proxy around commands that use this database when the environment has a Cloud SQL instance and the binary is found; on: always, and refuse when it cannot start; off: connect with the database URL as written.',
          )
          .meta({ default: 'auto', examples: ['auto', 'on', 'off'] }),
        binary: z
          .string()
          .min(1)
          .optional()
          .describe('Path or name of the cloud-sql-proxy (v2) binary. Default: cloud-sql-proxy from PATH.')
          .meta({ examples: ['/usr/local/bin/cloud-sql-proxy'] }),
        privateIp: z
          .boolean()
          .default(false)
          .describe("Connect to the instance's private IP (--private-ip), from inside its VPC."),
        connectionName: z
          .string()
          .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]:[a-z]+-[a-z]+\d+:[a-z][a-z0-9-]{0,97}$/, {
            message:
              'Expected a connection name project:region:instance such as my-app-prod:us-central1:api-db',
          })
          .optional()
          .describe(
            "The instance's connection name. Default: <project>:<region>:<sqlInstance> (set it when the instance is in another region).",
          ),
        startTimeout: durationOr('How long the proxy may take to accept connections.', '30s', {
          min: '1s',
          max: '5m',
        }),
      })
      .strict()
      .prefault({})
      .describe(
        "Cloud Run: the Cloud SQL Auth Proxy prodguard starts on a free loopback port for migrate, drift, db, sql, resume and abort, and stops after. The database URL keeps its role, password and database; its host and port become the proxy's.",
      ),
  })
  .strict()
  .superRefine((value, ctx) => {
    if (value.kind !== 'cloudrun') {
      if (value.sqlProxy.mode === 'on')
        ctx.addIssue({
          code: 'custom',
          path: ['sqlProxy', 'mode'],
          message: 'The Cloud SQL Auth Proxy is for kind: cloudrun environments',
        });
      return;
    }
    for (const key of ['project', 'region', 'service', 'image'] as const)
      if (!value[key])
        ctx.addIssue({ code: 'custom', path: [key], message: `Required when kind is cloudrun` });
    if (value.sqlProxy.mode === 'on' && !value.sqlInstance && !value.sqlProxy.connectionName)
      ctx.addIssue({
        code: 'custom',
        path: ['sqlProxy', 'mode'],
        message: 'sqlProxy.mode on needs platform.sqlInstance or sqlProxy.connectionName',
      });
  })
  .optional()
  .describe(
    'Platform settings for this environment (local agent by default; Cloud Run with kind: cloudrun).',
  );

export type AppConfig = z.output<typeof appConfigSchema>;
export type EnvironmentPlatformConfig = NonNullable<z.output<typeof environmentPlatformSchema>>;
