import type { FakeHttpServer, FakeRequest } from './fake-http.js';
import { FakeGoogleError, requireObject } from './fake-http.js';

export interface LogEntry {
  logName: string;
  resource: { type: string; labels: Record<string, string> };
  timestamp: string;
  receiveTimestamp?: string;
  severity:
    | 'DEFAULT'
    | 'DEBUG'
    | 'INFO'
    | 'NOTICE'
    | 'WARNING'
    | 'ERROR'
    | 'CRITICAL'
    | 'ALERT'
    | 'EMERGENCY';
  insertId: string;
  textPayload?: string;
  jsonPayload?: Record<string, unknown>;
  httpRequest?: { requestMethod: string; requestUrl: string; status: number; latency?: string };
}

const SEVERITY = ['DEFAULT', 'DEBUG', 'INFO', 'NOTICE', 'WARNING', 'ERROR', 'CRITICAL', 'ALERT', 'EMERGENCY'];

/** Cloud Logging v2 `entries:list` with the filter subset prodguard sends (field="value", severity>=, timestamp>=). */
export class FakeLogging {
  readonly entries: LogEntry[] = [];
  #counter = 0;

  register(http: FakeHttpServer): void {
    http.route('POST', /^\/v2\/entries:list$/, (r) => this.#list(r));
  }

  add(entry: Omit<LogEntry, 'insertId' | 'logName'> & { logName?: string }): void {
    this.#counter += 1;
    const project = entry.resource.labels.project_id ?? 'p';
    this.entries.push({
      logName: entry.logName ?? `projects/${project}/logs/run.googleapis.com%2Fstdout`,
      insertId: `id${this.#counter}`,
      ...entry,
    });
  }

  #list(r: FakeRequest): unknown {
    const body = requireObject(r.body, 'ListLogEntriesRequest');
    const resourceNames = body.resourceNames as string[] | undefined;
    if (!resourceNames?.length) throw new FakeGoogleError('INVALID_ARGUMENT', 'resourceNames is required.');
    const filter = String(body.filter ?? '');
    const pageSize = Math.min(Number(body.pageSize ?? 50), 1000);
    const start = Number(body.pageToken ?? 0) || 0;
    const clauses = [...filter.matchAll(/([a-zA-Z_.]+)\s*(>=|=|<=|>|<)\s*"?([^"\s]+)"?/g)].map((m) => ({
      key: m[1]!,
      op: m[2]!,
      value: m[3]!,
    }));
    const matches = this.entries.filter(
      (e) =>
        resourceNames.some((n) => e.logName.startsWith(`${n}/`)) &&
        clauses.every(({ key, op, value }) => {
          if (key === 'severity') {
            const a = SEVERITY.indexOf(e.severity);
            const b = SEVERITY.indexOf(value);
            return op === '>=' ? a >= b : op === '=' ? a === b : op === '>' ? a > b : a <= b;
          }
          if (key === 'timestamp')
            return op === '>='
              ? e.timestamp >= value
              : op === '<='
                ? e.timestamp <= value
                : op === '>'
                  ? e.timestamp > value
                  : e.timestamp < value;
          if (key === 'resource.type') return e.resource.type === value;
          if (key.startsWith('resource.labels.')) return e.resource.labels[key.slice(16)] === value;
          if (key === 'logName') return e.logName === value;
          throw new FakeGoogleError('INVALID_ARGUMENT', `Unsupported filter field ${key}.`);
        }),
    );
    const desc = String(body.orderBy ?? 'timestamp asc').includes('desc');
    matches.sort((a, b) =>
      desc ? b.timestamp.localeCompare(a.timestamp) : a.timestamp.localeCompare(b.timestamp),
    );
    const page = matches.slice(start, start + pageSize);
    return {
      entries: structuredClone(page),
      ...(start + pageSize < matches.length ? { nextPageToken: String(start + pageSize) } : {}),
    };
  }
}
