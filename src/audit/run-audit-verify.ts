import type { Config } from '../config/index.js';
import type { ProcessRunner } from '../kernel/process-runner.js';
import type { StateStore } from '../store/index.js';
import {
  type AnchorDestination,
  type AnchorSourceRead,
  describeDestination,
  parseAnchorDestination,
  readAnchorDestination,
  readAnchorsFromGit,
} from './anchor-destinations.js';
import { readRecordedAnchors, recordedAnchorsAsAnchors } from './anchor-store.js';
import type { AuditAnchor } from './audit-anchor.js';
import type { AuditLog } from './audit-log.js';
import { type AuditVerification, verifyAuditChain } from './verify-audit-chain.js';

export interface AuditVerifyDeps {
  config: Pick<Config, 'root' | 'audit'>;
  store: StateStore;
  audit: Pick<AuditLog, 'readAllForVerification'>;
  processes: Pick<ProcessRunner, 'run'>;
}

export interface AuditVerifyOptions {
  expectedHead?: string;
  /** More anchor files or URLs to read (`--anchor`), besides the configured ones. */
  anchors?: readonly AnchorDestination[];
}

export interface AnchorSourceReport {
  source: string;
  /** How many anchors it held (0 for a source that could not be read). */
  anchors: number;
  external: boolean;
  error?: string;
  problems?: string[];
}

export interface AuditVerifyResult extends AuditVerification {
  /** Every place anchors were looked for: those read (with a count) and those that could not be read. */
  sources: AnchorSourceReport[];
}

/**
 * `audit verify`: the chain, checked against every anchor that can be found: annotated git tags in the
 * project, the configured anchor destinations, the destinations the state store says were used, and the
 * store's own anchor records (reported, never trusted alone: they live in the database being checked).
 */
export async function runAuditVerify(
  deps: AuditVerifyDeps,
  options: AuditVerifyOptions = {},
): Promise<AuditVerifyResult> {
  const { events, head } = deps.audit.readAllForVerification();
  const sources: AnchorSourceReport[] = [];
  const anchors: AuditAnchor[] = [];
  const take = (read: AnchorSourceRead, external: boolean) => {
    if ('error' in read) {
      sources.push({ source: read.source, anchors: 0, external, error: read.error });
      return;
    }
    anchors.push(...read.anchors);
    sources.push({
      source: read.source,
      anchors: read.anchors.length,
      external,
      ...(read.problems.length > 0 ? { problems: read.problems } : {}),
    });
  };
  take(await readAnchorsFromGit(deps.config.root, deps.processes), true);

  let recorded: ReturnType<typeof readRecordedAnchors> = [];
  try {
    recorded = readRecordedAnchors(deps.store);
  } catch (error) {
    sources.push({
      source: 'state store anchor records',
      anchors: 0,
      external: false,
      error: error instanceof Error ? error.message : String(error),
    });
  }
  const destinations = new Map<string, AnchorDestination>();
  for (const value of deps.config.audit.anchors) {
    const d = parseAnchorDestination(value, deps.config.root);
    destinations.set(describeDestination(d), d);
  }
  for (const d of options.anchors ?? []) destinations.set(describeDestination(d), d);
  for (const r of recorded) {
    if (r.kind === 'file') destinations.set(`file ${r.destination}`, { kind: 'file', path: r.destination });
    if (r.kind === 'url') destinations.set(`url ${r.destination}`, { kind: 'url', url: r.destination });
  }
  for (const d of destinations.values()) take(await readAnchorDestination(d), true);
  if (recorded.length > 0) {
    anchors.push(...recordedAnchorsAsAnchors(recorded));
    sources.push({
      source: 'state store anchor records (same database)',
      anchors: recorded.length,
      external: false,
    });
  }
  const verification = verifyAuditChain(events, head, {
    anchors,
    ...(options.expectedHead ? { expectedHead: options.expectedHead } : {}),
  });
  return { ...verification, sources };
}
