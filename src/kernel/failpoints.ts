/**
 * Fault injection for crash tests: `PRODGUARD_FAILPOINTS=deploy:traffic-100:succeeded,secrets-rotation:*:started`
 * makes the process SIGKILL itself right after the operation journal records that point, exactly as a
 * power cut would leave it. Armed only by the CLI entry from its environment; nothing else reads it.
 */
let armed: readonly string[] = [];

export function armFailpoints(spec: string | undefined): void {
  armed = (spec ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function matches(pattern: string, name: string): boolean {
  const want = pattern.split(':');
  const got = name.split(':');
  return want.length === got.length && want.every((part, i) => part === '*' || part === got[i]);
}

export function failpointsArmed(): boolean {
  return armed.length > 0;
}

/** Kills this process when `name` (`<kind>:<step>:<phase>`) is armed. */
export function failpoint(name: string): void {
  if (armed.length === 0) return;
  if (armed.some((pattern) => matches(pattern, name))) process.kill(process.pid, 'SIGKILL');
}
