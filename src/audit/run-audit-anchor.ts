import type { Config } from '../config/index.js';
import type { Clock } from '../kernel/clock.js';
import { ProdguardError } from '../kernel/errors.js';
import type { StateStore } from '../store/index.js';
import {
  type AnchorDestination,
  describeDestination,
  parseAnchorDestination,
  writeAnchor,
} from './anchor-destinations.js';
import { recordAuditAnchor } from './anchor-store.js';
import type { AuditHead } from './audit-event.js';
import type { AuditLog } from './audit-log.js';

export interface AuditAnchorDeps {
  audit: Pick<AuditLog, 'head'>;
  store: StateStore;
  clock: Clock;
  project: string;
}

export interface AnchorWrite {
  destination: string;
  ok: boolean;
  error?: string;
}

export interface AuditAnchorResult {
  head: AuditHead;
  at: string;
  writes: AnchorWrite[];
  ok: boolean;
}

/**
 * Writes the current audit head (seq, hash, time) to each destination: one line appended to a file, or one
 * JSON POST. Each destination is tried; the result says which took it. The store records where it went,
 * so `audit verify` reads it back later.
 */
export async function runAuditAnchor(
  deps: AuditAnchorDeps,
  destinations: readonly AnchorDestination[],
): Promise<AuditAnchorResult> {
  if (destinations.length === 0) {
    throw new ProdguardError('PRODGUARD_AUDIT_ANCHOR_NO_DESTINATION', 'No anchor destination given.', {
      kind: 'usage',
      hint: 'Pass --to <file|url>, or list destinations under audit.anchors in prodguard.yaml.',
    });
  }
  const head = deps.audit.head();
  if (!head) {
    throw new ProdguardError(
      'PRODGUARD_AUDIT_EMPTY',
      'The audit log is empty: there is no head to anchor yet.',
      {
        kind: 'usage',
        hint: 'Anchor after the first audited command.',
      },
    );
  }
  const at = deps.clock.now().toISOString();
  const writes: AnchorWrite[] = [];
  for (const destination of destinations) {
    const name = describeDestination(destination);
    try {
      await writeAnchor(destination, { seq: head.seq, hash: head.hash, at, project: deps.project });
    } catch (error) {
      writes.push({
        destination: name,
        ok: false,
        error: error instanceof Error ? error.message : String(error),
      });
      continue;
    }
    recordAuditAnchor(deps.store, {
      ...head,
      at,
      kind: destination.kind,
      destination: destination.kind === 'file' ? destination.path : destination.url,
    });
    writes.push({ destination: name, ok: true });
  }
  return { head, at, writes, ok: writes.every((w) => w.ok) };
}

export interface AutoAnchorDeps extends AuditAnchorDeps {
  config: Pick<Config, 'root' | 'audit'>;
}

/**
 * With `audit.autoAnchor`, the head is anchored to every configured destination after a command that wrote
 * audit events (`before` is the head when the command started). Returns undefined when there is nothing to do.
 */
export async function runAutoAnchor(
  deps: AutoAnchorDeps,
  before: AuditHead | undefined,
): Promise<AuditAnchorResult | undefined> {
  if (!deps.config.audit.autoAnchor || deps.config.audit.anchors.length === 0) return undefined;
  const head = deps.audit.head();
  if (!head || head.seq === before?.seq) return undefined;
  return runAuditAnchor(
    deps,
    deps.config.audit.anchors.map((d) => parseAnchorDestination(d, deps.config.root)),
  );
}
