import type { Command } from 'commander';
import {
  createDeployAnnotator,
  type DeployServiceStatus,
  DeployStore,
  readReleaseStatus,
} from '../../deploy/index.js';
import {
  connectLocalPlatform,
  describeRevisionUser,
  readPlatformStatus,
  readReleaseRecord,
  readRevisionUser,
  type ServiceStatus,
} from '../../platform/index.js';
import type { CliIo } from '../io.js';
import { printJson, renderTable, type Style } from '../render.js';
import { globalsOf, parseDurationOption, styleOf, withWorkspace } from './shared.js';
import { renderReleases } from './status-releases.js';

export function register(program: Command, io: CliIo): void {
  program
    .command('status')
    .description(
      'revisions, traffic, readiness, request rate, error rate, p95 and restarts per environment; each release with its digest, what the digest excludes, its verifications (suites, E2E) and failures',
    )
    .argument('[env]', 'one environment (default: all)')
    .option('--window <duration>', 'metrics window', '60s')
    .option('--all', 'list every stopped revision too')
    .action(async (env: string | undefined, options: { window: string; all?: boolean }, command: Command) =>
      withWorkspace(io, command, async (ws) => {
        // Cloud Run for `platform.kind: cloudrun` environments, the local agent for the others.
        const { openPlatformFor } = await import('../../gcp/open-gcp.js');
        const platform = openPlatformFor(ws.config, {
          env: ws.env,
          clock: ws.clock,
          local: () => connectLocalPlatform(ws.config),
        });
        try {
          const store = new DeployStore(ws.store, ws.clock);
          const platformStatus = await readPlatformStatus(platform, {
            ...(env ? { services: [env] } : {}),
            windowMs: parseDurationOption('--window', options.window)!,
            ...(options.all ? { allStopped: true } : {}),
            // The deploy domain's verdict (known-good, failed, rolled-back) and verification columns.
            annotate: createDeployAnnotator(store),
          });
          // Each environment's releases: digest, excluded paths (release record), verifications and failures.
          const status = await readReleaseStatus(platformStatus, {
            store,
            ops: ws.operations,
            readRecord: (commit) => readReleaseRecord(ws.paths.artifacts, commit),
          });
          const revisionUser = await readRevisionUser(ws.config);
          if (globalsOf(command).json)
            return printJson(io, { services: status, ...(revisionUser ? { revisionUser } : {}) });
          io.stdout(`${status.map((svc) => renderServiceStatus(svc, styleOf(command, io))).join('\n\n')}\n`);
          if (revisionUser) io.stdout(`${styleOf(command, io).dim(describeRevisionUser(revisionUser))}\n`);
        } finally {
          await platform.close();
        }
      }),
    );
}

/** Human view of one environment; annotation keys (from src/deploy) become extra columns. */
export function renderServiceStatus(
  svc: ServiceStatus & Partial<Pick<DeployServiceStatus, 'releases'>>,
  s: Style,
): string {
  const head = `${s.bold(svc.name)}  ${svc.url}${svc.maintenance ? `  ${s.warn(`MAINTENANCE: ${svc.maintenance.message}`)}` : ''}`;
  if (svc.revisions.length === 0) return `${head}\n  ${s.dim('no revisions yet')}`;
  const extra = [...new Set(svc.revisions.flatMap((r) => Object.keys(r.annotations)))];
  const withSecrets = svc.revisions.some((r) => Object.keys(r.secretVersions).length > 0);
  const secrets = (versions: Record<string, number>) =>
    Object.entries(versions)
      .map(([name, version]) => `${name} v${version}`)
      .join(', ') || '-';
  const rows = svc.revisions.map((r) => [
    `  ${r.name}`,
    r.commit.slice(0, 8),
    r.state === 'ready' ? s.ok('✓ ready') : r.state === 'failed' ? s.bad('✗ failed') : r.state,
    r.percent > 0 ? `${r.percent}%${r.tag ? ` (${r.tag})` : ''}` : r.tag ? `0% (${r.tag})` : '-',
    r.requests > 0 ? r.requestsPerSecond.toFixed(1) : '0',
    r.requests > 0 ? `${(r.errorRate * 100).toFixed(1)}%` : '-',
    r.requests > 0 ? `${Math.round(r.p95Ms)}ms` : '-',
    String(r.restarts),
    ...extra.map((k) => r.annotations[k] ?? ''),
    ...(withSecrets ? [secrets(r.secretVersions)] : []),
    r.url,
  ]);
  const table = renderTable(rows, [
    '  REVISION',
    'COMMIT',
    'STATE',
    'TRAFFIC',
    'REQ/S',
    'ERRORS',
    'P95',
    'RESTARTS',
    ...extra.map((k) => k.toUpperCase()),
    ...(withSecrets ? ['SECRETS'] : []),
    'URL',
  ]);
  const failures = svc.revisions
    .filter((r) => r.failure && r.state === 'failed')
    .map((r) => `  ${s.bad('✗')} ${r.name}: ${r.failure!.split('\n')[0]}`);
  return [
    head,
    table,
    ...failures,
    ...renderReleases(svc.releases ?? [], s),
    s.dim(`  metrics over the last ${svc.windowMs / 1000}s`),
  ].join('\n');
}
