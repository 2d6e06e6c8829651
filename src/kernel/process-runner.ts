import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';

/** The execa-shaped outcome of one child process. */
export interface ProcessResult {
  command: string;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  durationMs: number;
  stdout: string;
  stderr: string;
  /** True when the process could not start, timed out, was killed or exited non-zero. */
  failed: boolean;
  /** Set when the process could not be started at all (ENOENT, EACCES). */
  spawnError?: string;
}

export interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Written to stdin, then stdin is closed; this is how secret values reach a child, never argv. */
  input?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Also append combined output to this file (kept for later reading, e.g. test logs). */
  logFile?: string;
  /** Live output as it arrives (streaming a user command to the terminal). */
  onOutput?: (chunk: string, stream: 'stdout' | 'stderr') => void;
  /** Keep at most this many characters of stdout/stderr in memory (the tail). Default 1 MiB. */
  maxBuffer?: number;
  /** Run as this user (prodguard must be root); the child then has no supplementary groups. */
  uid?: number;
  /** Run with this group as its only group (prodguard must be root). */
  gid?: number;
  /**
   * When the command exits, SIGKILL what is left of its process group (a daemon a build script started in
   * the background), so nothing it started keeps running or writing once its result is taken.
   */
  killGroupOnExit?: boolean;
}

export interface ProcessRunner {
  run(file: string, args: readonly string[], options: RunOptions): Promise<ProcessResult>;
  /** Runs a command line through the platform shell (user-configured commands such as `npm test`). */
  runShell(commandLine: string, options: RunOptions): Promise<ProcessResult>;
}

const DEFAULT_MAX_BUFFER = 1024 * 1024;

function appendTail(current: string, chunk: string, max: number): string {
  const next = current + chunk;
  return next.length > max ? next.slice(next.length - max) : next;
}

function spawnAndCollect(
  file: string,
  args: readonly string[],
  shell: boolean,
  display: string,
  options: RunOptions,
): Promise<ProcessResult> {
  const started = performance.now();
  const max = options.maxBuffer ?? DEFAULT_MAX_BUFFER;
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let settled = false;
    const log = options.logFile ? createWriteStream(options.logFile, { flags: 'a' }) : undefined;
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      shell,
      stdio: ['pipe', 'pipe', 'pipe'],
      // Own process group, so a timeout kills the whole tree (npm → node → workers).
      detached: process.platform !== 'win32',
      // libuv drops supplementary groups (setgroups(0)) when it switches user or group.
      ...(options.uid !== undefined ? { uid: options.uid } : {}),
      ...(options.gid !== undefined ? { gid: options.gid } : {}),
    });
    const killTree = (signal: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(process.platform === 'win32' ? child.pid : -child.pid, signal);
      } catch {
        // already gone
      }
    };
    const timer =
      options.timeoutMs !== undefined
        ? setTimeout(() => {
            timedOut = true;
            killTree('SIGTERM');
            setTimeout(() => killTree('SIGKILL'), 2000).unref();
          }, options.timeoutMs)
        : undefined;
    const onAbort = () => killTree('SIGTERM');
    options.signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout = appendTail(stdout, chunk, max);
      log?.write(chunk);
      options.onOutput?.(chunk, 'stdout');
    });
    child.stderr.on('data', (chunk: string) => {
      stderr = appendTail(stderr, chunk, max);
      log?.write(chunk);
      options.onOutput?.(chunk, 'stderr');
    });
    child.stdin.on('error', () => {
      // the child may exit before reading its input; that is its exit code's story, not ours
    });
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();

    const finish = (exitCode: number | null, signal: NodeJS.Signals | null, spawnError?: string) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      const result: ProcessResult = {
        command: display,
        exitCode,
        signal,
        timedOut,
        durationMs: Math.round(performance.now() - started),
        stdout,
        stderr,
        failed: spawnError !== undefined || timedOut || exitCode !== 0,
        ...(spawnError ? { spawnError } : {}),
      };
      if (log) log.end(() => resolve(result));
      else resolve(result);
    };
    if (options.killGroupOnExit) {
      child.on('exit', (code, signal) => {
        killTree('SIGKILL');
        // A process that left the group (setsid) may still hold the output pipes: stop waiting for them.
        setTimeout(() => {
          child.stdout.destroy();
          child.stderr.destroy();
          finish(code, signal);
        }, 2000).unref();
      });
    }
    child.on('error', (error) => finish(null, null, error.message));
    child.on('close', (code, signal) => finish(code, signal));
  });
}

export const nodeProcessRunner: ProcessRunner = Object.freeze({
  run: (file: string, args: readonly string[], options: RunOptions) =>
    spawnAndCollect(file, args, false, [file, ...args].join(' '), options),
  runShell: (commandLine: string, options: RunOptions) =>
    spawnAndCollect(commandLine, [], true, commandLine, options),
});

/** The last `lines` lines of a text, for showing what went wrong without flooding the terminal. */
export function tailLines(text: string, lines: number): string {
  const all = text.replace(/\s+$/, '').split('\n');
  return all.slice(Math.max(0, all.length - lines)).join('\n');
}
