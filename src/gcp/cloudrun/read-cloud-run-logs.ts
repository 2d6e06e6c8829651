import { redactText } from '../../kernel/redact.js';
import type { LogLine } from '../../platform/local/read-revision-logs.js';
import type { GcpTransport } from '../transport/index.js';
import type { CloudRunBinding } from './cloud-run-platform.js';

/** A Cloud Logging LogEntry, the fields prodguard reads. */
export interface CloudLogEntry {
  timestamp: string;
  insertId?: string;
  severity?: string;
  resource?: { labels?: Record<string, string> };
  textPayload?: string;
  jsonPayload?: Record<string, unknown>;
  httpRequest?: { requestMethod?: string; requestUrl?: string; status?: number; latency?: string };
  logName?: string;
}

/**
 * `prodguard logs` for a Cloud Run environment: Cloud Logging `entries:list` filtered to the service
 * (and revision), newest first from the API, returned oldest first like the local logs. Each line is
 * scrubbed of credentials before it leaves this function.
 */
export async function readCloudRunLogs(
  transport: GcpTransport,
  binding: CloudRunBinding,
  options: { revision?: string; since?: Date; tail?: number; environment: string },
): Promise<LogLine[]> {
  const filter = cloudRunLogFilter(binding, options);
  const limit = Math.min(options.tail ?? 200, 1_000);
  const entries = await listLogEntries(transport, binding, { filter, orderBy: 'timestamp desc', limit });
  return entries.reverse().map(toLogLine);
}

/** The entries:list filter of one Cloud Run service (and revision), from `since` on. */
export function cloudRunLogFilter(
  binding: CloudRunBinding,
  options: { revision?: string; since?: Date },
): string {
  return [
    'resource.type="cloud_run_revision"',
    `resource.labels.service_name="${binding.service}"`,
    `resource.labels.location="${binding.region}"`,
    ...(options.revision ? [`resource.labels.revision_name="${options.revision}"`] : []),
    ...(options.since ? [`timestamp>="${options.since.toISOString()}"`] : []),
  ].join(' AND ');
}

/** Up to `limit` entries (at most 20 pages of nextPageToken). */
export async function listLogEntries(
  transport: GcpTransport,
  binding: Pick<CloudRunBinding, 'project'>,
  options: { filter: string; orderBy: 'timestamp asc' | 'timestamp desc'; limit: number },
): Promise<CloudLogEntry[]> {
  const entries: CloudLogEntry[] = [];
  let pageToken: string | undefined;
  for (let page = 0; page < 20 && entries.length < options.limit; page++) {
    const res = await transport.request<{ entries?: CloudLogEntry[]; nextPageToken?: string }>({
      api: 'logging',
      method: 'POST',
      path: '/v2/entries:list',
      body: {
        resourceNames: [`projects/${binding.project}`],
        filter: options.filter,
        orderBy: options.orderBy,
        pageSize: Math.min(options.limit - entries.length, 1_000),
        ...(pageToken ? { pageToken } : {}),
      },
      read: true,
    });
    entries.push(...(res.entries ?? []));
    pageToken = res.nextPageToken;
    if (!pageToken) break;
  }
  return entries.slice(0, options.limit);
}

/** One entry as a `prodguard logs` line, scrubbed of credentials. */
export function toLogLine(e: CloudLogEntry): LogLine {
  const text =
    e.textPayload ??
    (e.httpRequest
      ? `${e.httpRequest.requestMethod ?? ''} ${e.httpRequest.requestUrl ?? ''} ${e.httpRequest.status ?? ''} ${e.httpRequest.latency ?? ''}`.trim()
      : JSON.stringify(e.jsonPayload ?? {}));
  const stream = ['ERROR', 'CRITICAL', 'ALERT', 'EMERGENCY'].includes(e.severity ?? '') ? 'err' : 'out';
  return {
    at: e.timestamp,
    revision: e.resource?.labels?.revision_name ?? '',
    stream,
    text: redactText(text),
  };
}
