import type { TrafficTarget } from '../../platform/platform.js';
import {
  type RunService,
  type RunTrafficTarget,
  shortRevisionName,
  TRAFFIC_LATEST,
  TRAFFIC_REVISION,
} from './cloud-run-types.js';

/** Tags prodguard manages: one per revision it created (`pg-00012-abc`) and `maintenance`. */
export const REVISION_TAG_PREFIX = 'pg-';
export const MAINTENANCE_TAG = 'maintenance';

/** `api-00012-abc` → `pg-00012-abc`: a tag URL per revision, for smoke tests at 0 %. */
export function revisionTag(revision: string): string {
  return `${REVISION_TAG_PREFIX}${revision.split('-').slice(-2).join('-')}`;
}

/**
 * The split as the Platform port sees it: entries with percent > 0, by revision short name. A LATEST
 * entry is resolved to latestReadyRevision, which is what Cloud Run routes it to.
 */
export function servingTraffic(service: RunService): TrafficTarget[] {
  const out: TrafficTarget[] = [];
  for (const t of service.traffic ?? []) {
    const percent = t.percent ?? 0;
    if (percent <= 0) continue;
    const revision =
      t.type === TRAFFIC_LATEST ? shortRevisionName(service.latestReadyRevision ?? '') : (t.revision ?? '');
    const tag = t.tag && !isManagedTag(t.tag) ? { tag: t.tag } : {};
    out.push({ revision, percent, ...tag });
  }
  return out;
}

export function isManagedTag(tag: string): boolean {
  return tag.startsWith(REVISION_TAG_PREFIX) || tag === MAINTENANCE_TAG;
}

/** Tag-only entries (0 %) currently on the service, by tag. */
export function currentTags(service: RunService): Map<string, string> {
  const tags = new Map<string, string>();
  for (const t of service.traffic ?? []) {
    if (!t.tag) continue;
    const revision =
      t.type === TRAFFIC_LATEST ? shortRevisionName(service.latestReadyRevision ?? '') : t.revision;
    if (revision) tags.set(t.tag, revision);
  }
  return tags;
}

export interface RunTrafficPlanOptions {
  /** Revisions that still exist; tags on deleted revisions are dropped. */
  existing: ReadonlySet<string>;
  /** Extra tag entries to add (a new revision's own tag, the maintenance tag). */
  addTags?: ReadonlyMap<string, string>;
  /** Most recent managed revision tags to keep (rollback and smoke URLs); older ones are dropped. */
  keepRecentTags?: number;
}

/**
 * The whole Cloud Run traffic list for a wanted split: every entry pinned by revision name (never
 * LATEST, which would hand a new revision 100 %), plus the tag-only entries still wanted. Cloud Run
 * replaces the list as a whole under `updateMask=traffic`, so tags not listed here disappear.
 */
export function planRunTraffic(
  service: RunService,
  split: readonly TrafficTarget[],
  options: RunTrafficPlanOptions,
): RunTrafficTarget[] {
  const out: RunTrafficTarget[] = split.map((t) => ({
    type: TRAFFIC_REVISION,
    revision: t.revision,
    percent: t.percent,
    ...(t.tag ? { tag: t.tag } : {}),
  }));
  const used = new Set(split.flatMap((t) => (t.tag ? [t.tag] : [])));
  const tags = new Map(currentTags(service));
  for (const [tag, revision] of options.addTags ?? []) tags.set(tag, revision);
  const keep = options.keepRecentTags ?? 10;
  const managed = [...tags.entries()]
    .filter(([tag]) => tag.startsWith(REVISION_TAG_PREFIX))
    .sort((a, b) => b[1].localeCompare(a[1]));
  const recent = new Set(managed.slice(0, keep).map(([tag]) => tag));
  const inSplit = new Set(split.map((t) => t.revision));
  for (const [tag, revision] of tags) {
    if (used.has(tag) || !options.existing.has(revision)) continue;
    if (tag.startsWith(REVISION_TAG_PREFIX) && !recent.has(tag) && !inSplit.has(revision)) continue;
    out.push({ type: TRAFFIC_REVISION, revision, tag, percent: 0 });
  }
  return out;
}

/**
 * Success for a traffic change: the operation succeeded, terminalCondition is CONDITION_SUCCEEDED and
 * trafficStatuses carry the requested percents. Returns what does not match.
 */
export function trafficMismatch(service: RunService, wanted: readonly TrafficTarget[]): string | undefined {
  if (service.terminalCondition?.state !== 'CONDITION_SUCCEEDED')
    return `terminalCondition is ${service.terminalCondition?.state ?? 'missing'}${service.terminalCondition?.message ? `: ${service.terminalCondition.message}` : ''}`;
  const actual = new Map<string, number>();
  for (const s of service.trafficStatuses ?? []) {
    if (!s.revision || !s.percent) continue;
    actual.set(s.revision, (actual.get(s.revision) ?? 0) + s.percent);
  }
  for (const w of wanted) {
    if ((actual.get(w.revision) ?? 0) !== w.percent)
      return `trafficStatuses give ${w.revision} ${actual.get(w.revision) ?? 0} %, wanted ${w.percent} %`;
  }
  const extra = [...actual.keys()].filter((r) => !wanted.some((w) => w.revision === r));
  if (extra.length > 0) return `trafficStatuses still route to ${extra.join(', ')}`;
  return undefined;
}
