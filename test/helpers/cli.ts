import { fileURLToPath } from 'node:url';
import { nodeProcessRunner, type ProcessResult } from '../../src/kernel/process-runner.js';

/** Absolute path of the real CLI entry (runs the compiled dist/: `npm test` builds first). */
export const PRODGUARD_BIN = fileURLToPath(new URL('../../bin/prodguard.js', import.meta.url));

export interface RunProdguardOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  input?: string;
  timeoutMs?: number;
}

/** Runs the real prodguard CLI as a child process. */
export function runProdguard(args: readonly string[], options: RunProdguardOptions): Promise<ProcessResult> {
  return nodeProcessRunner.run(process.execPath, [PRODGUARD_BIN, ...args], {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: '1', PRODGUARD_ACTOR: 'tester@example.com', ...options.env },
    ...(options.input !== undefined ? { input: options.input } : {}),
    timeoutMs: options.timeoutMs ?? 60_000,
  });
}
