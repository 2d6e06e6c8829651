import type { Command } from 'commander';
import {
  addIncidentNote,
  badSeverity,
  IncidentStore,
  incidentNotFound,
  normalizeIncidentSettings,
  openIncident,
  readIncidentTimeline,
  resolveIncident,
  setIncidentStatus,
} from '../../incident/index.js';
import { UsageError } from '../../kernel/errors.js';
import type { Workspace } from '../../workspace/index.js';
import type { CliIo } from '../io.js';
import { printJson, renderTable, SYMBOL } from '../render.js';
import { platformOrUnavailable, workspaceIncidentPorts } from './monitor-wiring.js';
import { globalsOf, styleOf, withWorkspace } from './shared.js';

/** The ports note, status and resolve need: no platform, no rollback. */
function basicPorts(ws: Workspace) {
  return { store: ws.store, clock: ws.clock, audit: ws.audit, knownSecrets: () => [...ws.knownSecrets] };
}

function parseId(value: string): number {
  const id = Number(value.replace(/^#/, ''));
  if (!Number.isInteger(id) || id < 1) {
    throw new UsageError('PRODGUARD_INCIDENT_ID', `"${value}" is not an incident number.`, {
      hint: 'Use the number from `prodguard incident list`, e.g. prodguard incident show 3',
    });
  }
  return id;
}

function parseSeverity(value: string): number {
  const n = Number(value.replace(/^sev-?/i, ''));
  if (!Number.isInteger(n) || n < 1 || n > 5) throw badSeverity(value);
  return n;
}

export function register(program: Command, io: CliIo): void {
  const incident = program
    .command('incident')
    .description('incident response (seed §10): open, note, status, resolve');
  incident
    .command('open')
    .description(
      'open an incident: deploys frozen (SEV ≤ incident.freezeSeverity), snapshot, rollback of a recent production deploy',
    )
    .argument('<title>', 'what users see')
    .requiredOption('--sev <1-5>', 'severity, 1 the worst')
    .option('--env <name>', 'environment (default: the last of the chain, production)')
    .option('--no-rollback', 'record and snapshot only; do not roll back')
    .action(
      async (title: string, flags: { sev: string; env?: string; rollback?: boolean }, command: Command) =>
        withWorkspace(io, command, async (ws) => {
          const severity = parseSeverity(flags.sev);
          const settings = normalizeIncidentSettings(ws.config);
          const environment = flags.env ?? ws.config.environmentOrder[ws.config.environmentOrder.length - 1]!;
          if (!ws.config.environments[environment]) {
            throw new UsageError(
              'PRODGUARD_INCIDENT_ENVIRONMENT',
              `No environment ${environment} in prodguard.yaml.`,
              {
                hint: `Use one of: ${ws.config.environmentOrder.join(', ')}.`,
              },
            );
          }
          const platform = platformOrUnavailable(ws);
          try {
            const ports = workspaceIncidentPorts(ws, platform);
            if (flags.rollback === false) delete ports.rollback;
            const result = await openIncident(ports, settings, {
              environment,
              severity,
              title,
              actor: await ws.actor(),
            });
            if (globalsOf(command).json) return printJson(io, { ok: true, ...result, snapshot: undefined });
            const s = styleOf(command, io);
            io.stdout(
              `${s.bad(SYMBOL.fail)} Incident #${result.incident.id} SEV-${severity} on ${environment}: ${title}\n`,
            );
            io.stdout(
              result.incident.freezesDeploys
                ? `  deploys to ${environment} are frozen until it is resolved (only --hotfix passes, staging first)\n`
                : `  SEV-${severity} is above the freeze level (SEV-1..${settings.freezeSeverity}): deploys stay open\n`,
            );
            for (const step of result.steps) {
              const mark =
                step.status === 'Success'
                  ? s.ok(SYMBOL.pass)
                  : step.status === 'Error'
                    ? s.bad(SYMBOL.fail)
                    : s.dim(SYMBOL.skipped);
              io.stdout(`  ${mark} ${step.name}: ${step.detail}\n`);
            }
            if (result.steps.some((st) => st.status === 'Error')) io.setExitCode(3);
          } finally {
            await platform.close();
          }
        }),
    );
  incident
    .command('note')
    .description('add a note to the timeline')
    .argument('<id>', 'incident number')
    .argument('<text>', 'the note')
    .action(async (id: string, text: string, _flags: unknown, command: Command) =>
      withWorkspace(io, command, async (ws) => {
        const event = addIncidentNote(basicPorts(ws), { id: parseId(id), text, actor: await ws.actor() });
        if (globalsOf(command).json) return printJson(io, { ok: true, event });
        io.stdout(`${styleOf(command, io).ok(SYMBOL.pass)} Noted on #${event.incidentId}.\n`);
      }),
    );
  incident
    .command('status')
    .description('move an incident to investigating or mitigated (resolve it with `incident resolve`)')
    .argument('<id>', 'incident number')
    .argument('<status>', 'investigating | mitigated')
    .option('--note <text>', 'what changed')
    .action(async (id: string, status: string, flags: { note?: string }, command: Command) =>
      withWorkspace(io, command, async (ws) => {
        const updated = setIncidentStatus(basicPorts(ws), {
          id: parseId(id),
          status,
          actor: await ws.actor(),
          ...(flags.note ? { note: flags.note } : {}),
        });
        if (globalsOf(command).json) return printJson(io, { ok: true, incident: updated });
        io.stdout(`${styleOf(command, io).ok(SYMBOL.pass)} #${updated.id} is ${updated.status}.\n`);
      }),
    );
  incident
    .command('resolve')
    .description('resolve an incident: lifts its freeze and writes the postmortem from the timeline')
    .argument('<id>', 'incident number')
    .requiredOption('--root-cause <text>', 'what broke and why')
    .action(async (id: string, flags: { rootCause: string }, command: Command) =>
      withWorkspace(io, command, async (ws) => {
        const result = resolveIncident(basicPorts(ws), normalizeIncidentSettings(ws.config), {
          id: parseId(id),
          rootCause: flags.rootCause,
          actor: await ws.actor(),
        });
        if (globalsOf(command).json) return printJson(io, { ok: true, ...result });
        const s = styleOf(command, io);
        io.stdout(
          `${s.ok(SYMBOL.pass)} Incident #${result.incident.id} resolved; deploys to ${result.incident.environment} are open again.\n`,
        );
        io.stdout(
          `  impact: ${result.impact.failedRequests} failed of ${result.impact.totalRequests} requests, ${result.impact.degradedMinutes} min degraded\n`,
        );
        io.stdout(`  postmortem: ${result.postmortemPath}\n`);
      }),
    );
  incident
    .command('list')
    .description('incidents, open first')
    .option('--env <name>', 'only this environment')
    .option('--open', 'only open incidents')
    .action(async (flags: { env?: string; open?: boolean }, command: Command) =>
      withWorkspace(io, command, async (ws) => {
        const list = new IncidentStore(ws.store)
          .list({ ...(flags.env ? { environment: flags.env } : {}), openOnly: flags.open ?? false })
          .sort((a, b) => Number(a.status === 'resolved') - Number(b.status === 'resolved') || b.id - a.id);
        if (globalsOf(command).json) return printJson(io, { incidents: list });
        if (list.length === 0) return io.stdout('No incidents.\n');
        io.stdout(
          `${renderTable(
            list.map((i) => [
              `  #${i.id}`,
              `SEV-${i.severity}`,
              i.environment,
              i.status,
              i.freezesDeploys ? 'frozen' : '',
              i.openedAt,
              i.title,
            ]),
            ['  ID', 'SEV', 'ENVIRONMENT', 'STATUS', 'DEPLOYS', 'OPENED', 'TITLE'],
          )}\n`,
        );
      }),
    );
  incident
    .command('show')
    .description('an incident with its timeline and snapshot')
    .argument('<id>', 'incident number')
    .action(async (id: string, _flags: unknown, command: Command) =>
      withWorkspace(io, command, async (ws) => {
        const store = new IncidentStore(ws.store);
        const found = store.get(parseId(id));
        if (!found) throw incidentNotFound(id);
        const timeline = readIncidentTimeline(ws, found);
        const snapshot = store.readSnapshot(found.id);
        if (globalsOf(command).json) return printJson(io, { incident: found, timeline, snapshot });
        const s = styleOf(command, io);
        io.stdout(`${s.bold(`#${found.id} SEV-${found.severity} ${found.title}`)}\n`);
        io.stdout(
          `  ${found.environment} · ${found.status}${found.freezesDeploys ? ' · deploys frozen' : ''} · opened ${found.openedAt} by ${found.openedBy}\n`,
        );
        if (found.rootCause) io.stdout(`  root cause: ${found.rootCause}\n`);
        if (found.postmortemPath) io.stdout(`  postmortem: ${found.postmortemPath}\n`);
        io.stdout(
          `\n${renderTable(
            timeline.map((t) => [`  ${t.at}`, t.source, t.message]),
            ['  TIME (UTC)', 'SOURCE', 'EVENT'],
          )}\n`,
        );
      }),
    );
}
