import type { ProdguardError } from '../../kernel/errors.js';
import type { RevisionState, TrafficTarget } from '../platform.js';
import { platformError } from './platform-errors.js';

/**
 * Checks a requested split against the revisions it names; returns the normalised targets
 * (0 % entries kept only when they carry a tag) or the error to throw.
 */
export function planTraffic(
  service: string,
  targets: readonly TrafficTarget[],
  states: ReadonlyMap<string, RevisionState>,
): { targets: TrafficTarget[] } | { error: ProdguardError } {
  const problems: string[] = [];
  const seen = new Set<string>();
  let sum = 0;
  for (const t of targets) {
    if (!Number.isInteger(t.percent) || t.percent < 0 || t.percent > 100)
      problems.push(`${t.revision}: percent must be an integer 0–100, got ${t.percent}`);
    if (seen.has(t.revision)) problems.push(`${t.revision} is listed twice`);
    seen.add(t.revision);
    sum += t.percent;
    const state = states.get(t.revision);
    if (state === undefined) problems.push(`${t.revision} is not a revision of ${service}`);
  }
  if (targets.length > 0 && sum !== 100) problems.push(`percents sum to ${sum}, not 100`);
  if (targets.length === 0) problems.push('no targets given');
  if (problems.length > 0) {
    return {
      error: platformError(
        'PRODGUARD_PLATFORM_TRAFFIC_INVALID',
        `Traffic for ${service} refused: ${problems.join('; ')}.`,
        {
          kind: 'usage',
          hint: 'Name existing revisions with integer percents that sum to 100.',
        },
      ),
    };
  }
  const notReady = targets.filter((t) => t.percent > 0 && states.get(t.revision) !== 'ready');
  if (notReady.length > 0) {
    return {
      error: platformError(
        'PRODGUARD_PLATFORM_NOT_READY',
        `Traffic for ${service} refused: ${notReady.map((t) => `${t.revision} is ${states.get(t.revision)}`).join(', ')}.`,
        {
          kind: 'refused',
          hint: 'Only ready revisions receive traffic: wait for readiness (or start the revision) first.',
        },
      ),
    };
  }
  return { targets: targets.filter((t) => t.percent > 0 || t.tag).map((t) => ({ ...t })) };
}
