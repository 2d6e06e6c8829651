/** One sample line of the Prometheus text exposition format. */
export interface MetricPoint {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\d+)?\s*$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/gy;

/**
 * Parses the text exposition format (version 0.0.4) into points; comments and malformed lines are skipped,
 * so one odd line from an app's /metrics cannot blind the monitor.
 */
export function parsePrometheusText(text: string): MetricPoint[] {
  const points: MetricPoint[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = LINE.exec(line);
    if (!match) continue;
    const value = parseValue(match[4]!);
    if (value === undefined) continue;
    const labels: Record<string, string> = {};
    if (match[3]) {
      LABEL.lastIndex = 0;
      const body = match[3];
      for (let guard = 0; guard < 256 && LABEL.lastIndex < body.length; guard++) {
        const m = LABEL.exec(body);
        if (!m) break;
        labels[m[1]!] = m[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
      }
    }
    points.push({ name: match[1]!, labels, value });
  }
  return points;
}

function parseValue(text: string): number | undefined {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN') return Number.NaN;
  const n = Number(text);
  return Number.isNaN(n) ? undefined : n;
}
