import type { DeployTimeline } from './deploy-timeline.js';
import type { LoadGenerator } from './load-generator.js';

export interface PhaseResult {
  name: string;
  served: number;
  failed: number;
  firstFailure?: number;
  lastFailure?: number;
  timeline?: DeployTimeline;
}

const seconds = (ms: number | undefined) =>
  ms === undefined ? '-' : ms < 1000 ? `${Math.max(1, Math.round(ms))} ms` : `${(ms / 1000).toFixed(1)} s`;

/** The closing table: requests served and failed during each operation, detection and rollback times. */
export function renderSummary(phases: readonly PhaseResult[], load: LoadGenerator): string {
  const rows = phases.map((p) => {
    const t = p.timeline;
    const detect =
      t?.breachAt !== undefined && t.firstTrafficAt !== undefined ? t.breachAt - t.firstTrafficAt : undefined;
    const rollback =
      t?.rolledBackAt !== undefined && t.breachAt !== undefined ? t.rolledBackAt - t.breachAt : undefined;
    const failing =
      p.firstFailure !== undefined && p.lastFailure !== undefined
        ? p.lastFailure - p.firstFailure
        : undefined;
    return [
      p.name,
      String(p.served),
      String(p.failed),
      seconds(failing),
      seconds(detect),
      seconds(rollback),
      t?.outcome ?? '-',
    ];
  });
  const headers = [
    'OPERATION',
    'PRODUCTION REQUESTS',
    'FAILED',
    'FAILING FOR',
    'TIME TO DETECT',
    'TIME TO ROLL BACK',
    'OUTCOME',
  ];
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const total = load.records.length;
  const failed = load.records.filter((r) => !r.ok).length;
  return [
    line(headers),
    ...rows.map(line),
    '',
    `Production traffic during the demo: ${total} requests, ${failed} failed (${total ? ((failed / total) * 100).toFixed(2) : '0'} %).`,
    "Time to detect: from the canary's first production request to the breach verdict. Time to roll back: from the verdict",
    'to the traffic switch back to the known-good revision. Failing for: first to last failed request the load generator saw.',
  ].join('\n');
}
