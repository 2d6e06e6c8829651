import { Command, CommanderError } from 'commander';
import { ExitCode } from '../kernel/errors.js';
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
  entry('init', 'write prodguard.yaml with the golden-rule defaults'),
  entry('config', 'check prodguard.yaml or print its JSON Schema'),
  entry('rules', 'list the golden rules and where they apply'),
  entry('preflight', 'run the pre-deployment checklist for an environment'),
  entry('run', 'run a deploy command of your own behind the checklist and the environment lock'),
  entry('freeze', 'freeze or unfreeze deploys'),
  entry('lock', 'show or break environment locks'),
  entry('audit', 'read and verify the audit trail'),
  entry('up', 'start the local platform agent (revisions, router, metrics)'),
  entry('down', 'stop the local platform agent'),
  entry('status', 'revisions, traffic, error rate and latency per environment'),
  entry('logs', "read a revision's logs"),
  entry('deploy', 'deploy a release: health, smoke tests, traffic, watch, verified'),
  entry('rollback', 'send traffic back to the last known-good revision'),
  entry('resume', 'continue an interrupted operation'),
  entry('abort', 'abort an interrupted operation and restore its traffic'),
  entry('maintenance', 'serve a maintenance page, or restore traffic'),
  entry('migrate', 'Prisma migrations: status, deploy, lint, verify-rollback, rollback'),
  entry('db', 'database backups, restores and drift detection'),
  entry('sql', 'a guarded SQL console'),
  entry('secrets', 'versioned, encrypted secrets and safe rotation'),
];

/** Command modules live in ./commands/<name>.js and export register(). */
function entry(name: string, summary: string): CommandEntry {
  return { name, summary, load: () => import(`./commands/${name}.js`) as Promise<CommandModule> };
}

export const COMMAND_NAMES: readonly string[] = COMMANDS.map((c) => c.name);

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
