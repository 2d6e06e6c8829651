import { userInfo } from 'node:os';
import type { ProcessRunner } from '../kernel/process-runner.js';

/** Who is acting: PRODGUARD_ACTOR, else git's user.email, else the OS user. */
export async function resolveActor(
  env: NodeJS.ProcessEnv,
  processes: ProcessRunner,
  cwd: string,
): Promise<string> {
  const explicit = env.PRODGUARD_ACTOR?.trim();
  if (explicit) return explicit;
  const git = await processes.run('git', ['config', 'user.email'], { cwd, env, timeoutMs: 5000 });
  const email = git.stdout.trim();
  if (!git.failed && email) return email;
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
