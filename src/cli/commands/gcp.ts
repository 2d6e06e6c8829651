import type { Command } from 'commander';
import type { Config } from '../../config/index.js';
import { planRotationCalls } from '../../deploy/index.js';
import {
  applyMonitoring,
  cloudRunBindings,
  getMonitoringPlan,
  openCloudRunPlatform,
  openGcpTransport,
  PlanTransport,
  planCloudRunDeploy,
  readCloudRunLogs,
  renderMonitoringDiff,
  renderPlan,
  renderPlannedSteps,
  renderStagingCost,
  STAGING_PRICES,
  setupStaging,
} from '../../gcp/index.js';
import { UsageError } from '../../kernel/errors.js';
import type { CliIo } from '../io.js';
import { globalsOf, withWorkspace } from './shared.js';

function binding(config: Config, env: string) {
  const b = cloudRunBindings(config).get(env);
  if (!b)
    throw new UsageError('PRODGUARD_GCP_NOT_CONFIGURED', `Environment ${env} does not run on Cloud Run.`, {
      hint: `Set environments.${env}.platform: { kind: cloudrun, project, region, service, image } in prodguard.yaml.`,
    });
  return b;
}

export function register(program: Command, io: CliIo): void {
  const gcp = program
    .command('gcp')
    .description('Google Cloud: Cloud Run, Secret Manager, Cloud SQL, Monitoring');
  const print = (command: Command, data: unknown, text: string) =>
    io.stdout(globalsOf(command).json ? `${JSON.stringify(data, null, 2)}\n` : `${text}\n`);

  gcp
    .command('setup-staging')
    .description('create the staging service, a db-f1-micro Cloud SQL instance, secrets and IAM (seed §2)')
    .option('--plan', 'print the API calls and change nothing (default)')
    .option('--apply', 'make the changes')
    .option('--validate', 'with --plan: ask Cloud Run to validate its writes (validateOnly)')
    .option('--from <env>', 'production environment to copy', 'production')
    .option('--service-account <email>', 'runtime service account of staging')
    .action(
      async (
        options: {
          plan?: boolean;
          apply?: boolean;
          validate?: boolean;
          from: string;
          serviceAccount?: string;
        },
        command: Command,
      ) =>
        withWorkspace(io, command, async (ws) => {
          if (options.plan && options.apply)
            throw new UsageError('PRODGUARD_GCP_USAGE', 'Pass --plan or --apply, not both.');
          const b = binding(ws.config, options.from);
          const transport = openGcpTransport({
            env: ws.env,
            clock: ws.clock,
            plan: !options.apply,
            validateOnly: options.validate ?? false,
          });
          const result = await setupStaging(
            {
              project: b.project,
              region: b.region,
              productionService: b.service,
              ...(options.serviceAccount ? { serviceAccount: options.serviceAccount } : {}),
            },
            { transport, clock: ws.clock },
          );
          const calls = transport instanceof PlanTransport ? renderPlan(transport.calls) : '';
          print(
            command,
            { ...result, ...(transport instanceof PlanTransport ? { calls: transport.calls } : {}) },
            [
              ...result.steps.map(
                (s) =>
                  `${s.status === 'exists' ? '=' : s.status === 'planned' ? '+' : '✓'} ${s.step}${s.detail ? ` (${s.detail})` : ''}`,
              ),
              ...(calls ? ['', 'API calls (--apply makes them):', calls] : []),
              '',
              `Then add staging's own values: ${result.secretsToFill.map((n) => `prodguard secrets add ${n} --env staging`).join('; ') || '(no secrets)'}`,
              '',
              renderStagingCost(result.cost, STAGING_PRICES.source),
            ].join('\n'),
          );
        }),
    );

  gcp
    .command('monitoring')
    .description('uptime check and alert policies for a Cloud Run environment (seed §6)')
    .command('apply')
    .argument('[env]', 'environment', 'production')
    .option('--plan', 'show the diff and the API calls, change nothing')
    .option('--host <host>', 'public host of the service (default: from the service URL)')
    .option('--health-path <path>', 'health path', '/health')
    .action(
      async (env: string, options: { plan?: boolean; host?: string; healthPath: string }, command: Command) =>
        withWorkspace(io, command, async (ws) => {
          const b = binding(ws.config, env);
          const transport = openGcpTransport({ env: ws.env, clock: ws.clock, plan: options.plan ?? false });
          const platform = openCloudRunPlatform(ws.config, { transport, clock: ws.clock })!;
          const host = options.host ?? new URL((await platform.getService(env)).url).host;
          const target = { project: b.project, service: b.service, host, healthPath: options.healthPath };
          const changes = await getMonitoringPlan(transport, target);
          io.stdout(`${renderMonitoringDiff(changes)}\n`);
          const result = await applyMonitoring(transport, target, changes);
          if (transport instanceof PlanTransport)
            io.stdout(`\nAPI calls (run without --plan to make them):\n${renderPlan(transport.calls)}\n`);
          else if (globalsOf(command).json) io.stdout(`${JSON.stringify(result, null, 2)}\n`);
          else io.stdout(`${changes.filter((c) => c.action !== 'unchanged').length} change(s) applied.\n`);
        }),
    );

  const plan = gcp
    .command('plan')
    .description('print the Google API calls an operation would make, making none');
  plan
    .command('deploy')
    .argument('<env>', 'environment')
    .requiredOption('--commit <sha>', 'release commit (its image: platform.image)')
    .option('--steps <list>', 'canary steps in percent', '10,50,100')
    .option('--reads', 'also list the reads')
    .action(
      async (env: string, options: { commit: string; steps: string; reads?: boolean }, command: Command) =>
        withWorkspace(io, command, async (ws) => {
          binding(ws.config, env);
          const transport = openGcpTransport({ env: ws.env, clock: ws.clock, plan: true }) as PlanTransport;
          const platform = openCloudRunPlatform(ws.config, { transport, clock: ws.clock })!;
          const steps = await planCloudRunDeploy(platform, transport, {
            environment: env,
            commit: options.commit,
            canarySteps: options.steps.split(',').map((s) => Number(s.trim())),
          });
          print(command, steps, renderPlannedSteps(steps, { reads: options.reads ?? false }));
        }),
    );
  plan
    .command('rotate')
    .argument('<env>', 'environment')
    .argument('<secret>', 'database secret, e.g. DATABASE_URL')
    .requiredOption('--role <role>', 'Cloud SQL user whose password changes')
    .requiredOption('--commit <sha>', 'release the rollout redeploys')
    .option('--reads', 'also list the reads')
    .action(
      async (
        env: string,
        secret: string,
        options: { role: string; commit: string; reads?: boolean },
        command: Command,
      ) =>
        withWorkspace(io, command, async (ws) => {
          const b = binding(ws.config, env);
          const transport = openGcpTransport({ env: ws.env, clock: ws.clock, plan: true }) as PlanTransport;
          const platform = openCloudRunPlatform(ws.config, { transport, clock: ws.clock })!;
          const steps = await planRotationCalls(
            ws,
            { binding: b, platform, transport },
            { environment: env, secret, role: options.role, commit: options.commit },
          );
          print(command, steps, renderPlannedSteps(steps, { reads: options.reads ?? false }));
        }),
    );

  gcp
    .command('logs')
    .description("a Cloud Run environment's logs from Cloud Logging, oldest first")
    .argument('<env>', 'environment')
    .option('--revision <name>', 'only this revision')
    .option('--tail <n>', 'only the last n entries', (v) => Number.parseInt(v, 10), 100)
    .action(async (env: string, options: { revision?: string; tail: number }, command: Command) =>
      withWorkspace(io, command, async (ws) => {
        const b = binding(ws.config, env);
        const lines = await readCloudRunLogs(openGcpTransport({ env: ws.env, clock: ws.clock }), b, {
          environment: env,
          tail: options.tail,
          ...(options.revision ? { revision: options.revision } : {}),
        });
        for (const line of lines)
          io.stdout(
            globalsOf(command).json
              ? `${JSON.stringify(line)}\n`
              : `${line.at} ${line.revision} ${line.stream} ${line.text}\n`,
          );
      }),
    );
}
