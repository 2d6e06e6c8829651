import { spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';

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
  /** Run as this user and group (prodguard is root); supplementary groups are dropped with them. */
  uid?: number;
  gid?: number;
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
      ...(options.uid !== undefined ? { uid: options.uid } : {}),
      ...(options.gid !== undefined ? { gid: options.gid } : {}),
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

/**
 * Ends the process group a dead agent left behind for `revision`, but only when /proc shows that the
 * group leader is still that revision (a recycled pid must never be signalled). Returns true when it did.
 */
export function killStaleRevisionGroup(pid: number, revision: string): boolean {
  let environ: string;
  try {
    environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
  } catch {
    return false; // gone, or no /proc to prove it is ours
  }
  const group = readdirSafe('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/environ`, 'latin1')
          .split('\0')
          .includes(`PRODGUARD_REVISION=${revision}`);
      } catch {
        return false;
      }
    });
  if (!environ.split('\0').includes(`PRODGUARD_REVISION=${revision}`) && group.length === 0) return false;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // the leader's group may be gone while children remain: end them one by one
  }
  for (const p of group) {
    try {
      process.kill(Number(p), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return true;
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
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
