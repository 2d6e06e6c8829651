import { createHash } from 'node:crypto';
import type { Config } from './load-config.js';

const PREFIX = 'runtime:';

/**
 * The check a verification carries for how its release was run: `runtime:<hash>` of `app.start`,
 * `app.build`, `app.healthPath` and `app.env`. These live in the configuration, not in the release's bytes,
 * so a release verified on staging with one start command must not be promoted with another.
 */
export function runtimeCheckName(app: Pick<Config['app'], 'start' | 'build' | 'healthPath' | 'env'>): string {
  const spec = JSON.stringify({
    start: app.start,
    build: app.build ?? null,
    healthPath: app.healthPath ?? null,
    env: Object.entries(app.env ?? {}).sort(([a], [b]) => a.localeCompare(b)),
  });
  return `${PREFIX}${createHash('sha256').update(spec).digest('hex').slice(0, 12)}`;
}

/**
 * The runtime a verification recorded, when it differs from `expected`. A verification made before runtimes
 * were recorded has none and is taken as it is.
 */
export function differentRuntime(checks: readonly string[], expected: string): string | undefined {
  const recorded = checks.find((c) => c.startsWith(PREFIX));
  return recorded !== undefined && recorded !== expected ? recorded : undefined;
}
