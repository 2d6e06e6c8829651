/** What the demo learns from one `prodguard deploy --json` run (NDJSON events, stamped on arrival). */
export interface DeployTimeline {
  outcome?: string;
  message?: string;
  /** When the new revision first received production traffic (ms, performance clock). */
  firstTrafficAt?: number;
  breachAt?: number;
  rolledBackAt?: number;
  breach?: string;
}

interface DeployEventLine {
  event?: string;
  [key: string]: unknown;
}

function parse(line: string): DeployEventLine | undefined {
  try {
    return JSON.parse(line) as DeployEventLine;
  } catch {
    return undefined;
  }
}

export function readDeployTimeline(lines: readonly { at: number; line: string }[]): DeployTimeline {
  const timeline: DeployTimeline = {};
  let newRevision: string | undefined;
  for (const { at, line } of lines) {
    const event = parse(line);
    if (!event) continue;
    if (event.event === 'step:finished' && event.step === 'create-revision')
      newRevision = String(event.detail ?? '').split(' ')[0];
    if (event.event === 'traffic:switched' && timeline.firstTrafficAt === undefined) {
      const traffic = (event.traffic ?? []) as { revision: string; percent: number }[];
      if (traffic.some((t) => t.revision === newRevision && t.percent > 0)) timeline.firstTrafficAt = at;
    }
    if (event.event === 'deploy:breach') {
      timeline.breachAt = at;
      const breaches = (event.breaches ?? []) as { metric: string; value: number; threshold: number }[];
      timeline.breach = breaches
        .map((b) => `${b.metric} ${formatMetric(b.metric, b.value)} > ${formatMetric(b.metric, b.threshold)}`)
        .join(', ');
    }
    if (event.event === 'deploy:rolled-back') timeline.rolledBackAt = at;
    if (event.event === 'operation:finished') {
      timeline.outcome = String(event.outcome);
      timeline.message = String(event.message);
    }
  }
  return timeline;
}

function formatMetric(metric: string, value: number): string {
  return /rate/i.test(metric)
    ? `${(value * 100).toFixed(1)}%`
    : /latency|p95/i.test(metric)
      ? `${Math.round(value)}ms`
      : String(value);
}

/** One human line per interesting event, or undefined to stay quiet. */
export function renderDeployEvent(line: string): string | undefined {
  const event = parse(line);
  if (!event) return line.trim() ? `  ${line}` : undefined;
  const secs = (ms: unknown) => `${(Number(ms) / 1000).toFixed(1)}s`.padStart(6);
  switch (event.event) {
    case 'deploy:rules': {
      const verdicts = (event.verdicts ?? []) as { id: string; status: string; message: string }[];
      return verdicts
        .filter((v) => v.status !== 'skipped')
        .map(
          (v) =>
            `  ${v.status === 'pass' ? '✓' : v.status === 'fail' ? '✗' : '!'} ${v.id.padEnd(22)} ${v.message}`,
        )
        .join('\n');
    }
    case 'deploy:plan':
      return `  plan: ${String((event.steps as number[]).join(' → '))} %, worst case detect ${secs((event.times as { timeToDetectMs: number }).timeToDetectMs).trim()}, roll back ${secs((event.times as { timeToRollbackMs: number }).timeToRollbackMs).trim()}`;
    case 'step:finished':
      return `  ${event.ok ? '✓' : '✗'} ${String(event.step).padEnd(16)} ${secs(event.elapsedMs)}  ${String(event.detail ?? '')}`;
    case 'analysis:sample':
      return event.verdict === 'breach'
        ? `      ${secs(event.elapsedMs)}  ${String(event.step).padEnd(11)} ${String(event.requests).padStart(5)} req  errors ${(Number(event.errorRate) * 100).toFixed(1).padStart(5)}%  p95 ${Math.round(Number(event.p95Ms))}ms  BREACH (${String(event.consecutiveBreaches)} in a row)`
        : undefined;
    case 'deploy:rolled-back':
      return `  ↩ rolled back: ${String(event.reason)}`;
    case 'operation:finished':
      return `  ${event.outcome === 'success' ? '✓' : '✗'} ${String(event.message)}`;
    default:
      return undefined;
  }
}
