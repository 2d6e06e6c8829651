import { Command, CommanderError } from 'commander';
import { ExitCode } from '../kernel/errors.js';
import { armFailpoints } from '../kernel/failpoints.js';
import { type CliIo, processIo } from './io.js';
import { reportError } from './report-error.js';

/** A command module registers one or more subcommands on the program. */
export interface CommandModule {
  register(program: Command, io: CliIo): void;
}

interface CommandEntry {
  name: string;
  summary: string;
  load: () => Promise<CommandModule>;
}

/**
 * The command table. Modules load lazily: `prodguard preflight` never pays for the migration linter's
 * WASM parser or the agent's HTTP stack.
 */
const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'init',
    summary: 'write prodguard.yaml with the golden-rule defaults',
    load: () => import('./commands/init.js'),
  },
  {
    name: 'config',
    summary: 'check prodguard.yaml or print its JSON Schema',
    load: () => import('./commands/config.js'),
  },
  {
    name: 'rules',
    summary: 'list the golden rules and where they apply',
    load: () => import('./commands/rules.js'),
  },
  {
    name: 'preflight',
    summary: 'run the pre-deployment checklist for an environment',
    load: () => import('./commands/preflight.js'),
  },
  {
    name: 'run',
    summary: 'run a deploy command of your own behind the checklist and the environment lock',
    load: () => import('./commands/run.js'),
  },
  { name: 'freeze', summary: 'freeze or unfreeze deploys', load: () => import('./commands/freeze.js') },
  { name: 'lock', summary: 'show or break environment locks', load: () => import('./commands/lock.js') },
  { name: 'audit', summary: 'read and verify the audit trail', load: () => import('./commands/audit.js') },
  {
    name: 'up',
    summary: 'start the local platform agent (revisions, router, metrics)',
    load: () => import('./commands/up.js'),
  },
  { name: 'down', summary: 'stop the local platform agent', load: () => import('./commands/down.js') },
  {
    name: 'status',
    summary: 'revisions, traffic, error rate and latency per environment',
    load: () => import('./commands/status.js'),
  },
  { name: 'logs', summary: "read a revision's logs", load: () => import('./commands/logs.js') },
  {
    name: 'deploy',
    summary: 'deploy a release: health, smoke tests, traffic, watch, verified',
    load: () => import('./commands/deploy.js'),
  },
  {
    name: 'rollback',
    summary: 'send traffic back to the last known-good revision',
    load: () => import('./commands/rollback.js'),
  },
  {
    name: 'operations',
    summary: 'every operation of every kind: running, interrupted, finished',
    load: () => import('./commands/operations.js'),
  },
  {
    name: 'resume',
    summary: 'continue an interrupted operation of any kind',
    load: () => import('./commands/resume.js'),
  },
  {
    name: 'abort',
    summary: 'undo an interrupted operation of any kind',
    load: () => import('./commands/abort.js'),
  },
  {
    name: 'maintenance',
    summary: 'serve a maintenance page, or restore traffic',
    load: () => import('./commands/maintenance.js'),
  },
  {
    name: 'migrate',
    summary: 'Prisma migrations: status, deploy, lint, verify-rollback, rollback',
    load: () => import('./commands/migrate.js'),
  },
  {
    name: 'db',
    summary: 'database backups, restores and drift detection',
    load: () => import('./commands/db.js'),
  },
  { name: 'sql', summary: 'a guarded SQL console', load: () => import('./commands/sql.js') },
  {
    name: 'secrets',
    summary: 'versioned, encrypted secrets and safe rotation',
    load: () => import('./commands/secrets/index.js'),
  },
  {
    name: 'gcp',
    summary: 'Google Cloud: setup-staging, monitoring apply, plan deploy|rotate, logs',
    load: () => import('./commands/gcp.js'),
  },
  {
    name: 'monitor',
    summary: 'run the monitor on its own: probes, alert rules, notifications',
    load: () => import('./commands/monitor.js'),
  },
  { name: 'alerts', summary: 'pending and firing alerts', load: () => import('./commands/alerts.js') },
  {
    name: 'silence',
    summary: 'mute alerts for a while (audited)',
    load: () => import('./commands/silence.js'),
  },
  {
    name: 'incident',
    summary: 'open, follow and resolve incidents; postmortem',
    load: () => import('./commands/incident.js'),
  },
];

function buildProgram(io: CliIo): Command {
  const program = new Command('prodguard')
    .description('Production-safety rules as code: every rule automatic, or impossible to break by accident.')
    .option('--config <file>', 'path to prodguard.yaml (default: searched upwards from the current folder)')
    .option('--json', 'machine-readable output')
    .option('--no-color', 'plain output')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) });
  program.addHelpText(
    'after',
    '\nExit codes: 0 ok · 1 refused by a rule · 2 bad usage or config · 3 failed (rolled back) · 4 internal error',
  );
  return program;
}

/** Runs one prodguard invocation; returns the exit code (also set on io). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  armFailpoints(io.env.PRODGUARD_FAILPOINTS);
  const program = buildProgram(io);
  const first = argv.find((a) => !a.startsWith('-'));
  const entry = COMMANDS.find((c) => c.name === first);
  let code: number = ExitCode.ok;
  try {
    for (const command of COMMANDS) {
      if (command === entry) (await command.load()).register(program, io);
      else program.command(command.name).description(command.summary).helpOption(false).allowUnknownOption();
    }
    for (const c of program.commands) c.exitOverride();
    await program.parseAsync([...argv], { from: 'user' });
    if (!entry && first !== undefined)
      throw new CommanderError(2, 'prodguard.unknownCommand', `unknown command ${first}`);
  } catch (error) {
    const json = argv.includes('--json');
    code = reportError(io, error, json);
    io.setExitCode(code);
    return code;
  }
  return code;
}

export async function main(argv: readonly string[]): Promise<void> {
  const controller = new AbortController();
  let interrupted = false;
  process.on('SIGINT', () => {
    // First Ctrl-C asks the running operation to stop cleanly; a second one exits at once.
    if (interrupted) process.exit(130);
    interrupted = true;
    controller.abort();
  });
  // `prodguard audit log | head` closes the pipe early: that is the reader's choice, not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  const io = processIo(controller.signal);
  if (argv.length === 0) argv = ['--help'];
  await runCli(argv, io);
}
