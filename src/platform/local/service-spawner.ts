import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';

/** A long-running child (a revision's app) in its own process group. */
export interface ServiceProcess {
  readonly pid: number | undefined;
  /** Resolves once the process has exited (never rejects). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: string }>;
  /** Signals the whole process group (sh → npm → node). */
  kill(signal: NodeJS.Signals): void;
}

export interface SpawnServiceOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  onOutput: (stream: 'out' | 'err', chunk: string) => void;
}

/**
 * The port for processes that outlive a call (kernel's ProcessRunner runs a command to completion).
 * The local platform spawns revisions only through it.
 */
export interface ServiceSpawner {
  spawn(commandLine: string, options: SpawnServiceOptions): ServiceProcess;
}

export const nodeServiceSpawner: ServiceSpawner = Object.freeze({
  spawn(commandLine: string, options: SpawnServiceOptions): ServiceProcess {
    const child = spawn(commandLine, [], {
      cwd: options.cwd,
      env: options.env,
      shell: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => options.onOutput('out', chunk));
    child.stderr?.on('data', (chunk: string) => options.onOutput('err', chunk));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: string }>(
      (resolve) => {
        child.once('error', (error) => resolve({ code: null, signal: null, error: error.message }));
        child.once('exit', (code, signal) => resolve({ code, signal }));
      },
    );
    return {
      pid: child.pid,
      exited,
      kill(signal: NodeJS.Signals) {
        if (child.pid === undefined) return;
        try {
          process.kill(-child.pid, signal);
        } catch {
          // the group is already gone
        }
      },
    };
  },
});

/** Signals a process group left over from an agent that died without stopping its revisions. */
export function killStaleProcessGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

export interface SpawnDetachedOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** stdout and stderr are appended here. */
  logFile: string;
}

/** Starts a process that outlives this one (the detached agent); returns its pid and an exit promise. */
export function spawnDetached(
  file: string,
  args: readonly string[],
  options: SpawnDetachedOptions,
): { pid: number | undefined; exited: Promise<number | null> } {
  const fd = openSync(options.logFile, 'a');
  const child = spawn(file, args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const exited = new Promise<number | null>((resolve) => {
    child.once('error', () => resolve(null));
    child.once('exit', (code) => resolve(code));
  });
  child.unref();
  return { pid: child.pid, exited };
}
