import type { Clock } from '../../kernel/clock.js';
import { isProdguardError } from '../../kernel/errors.js';
import type { LogLine } from '../../platform/local/read-revision-logs.js';
import type { GcpTransport } from '../transport/index.js';
import type { CloudRunBinding } from './cloud-run-platform.js';
import { type CloudLogEntry, cloudRunLogFilter, listLogEntries, toLogLine } from './read-cloud-run-logs.js';

export interface FollowCloudRunLogsOptions {
  environment: string;
  revision?: string;
  /** The first read starts here; default: the last `tail` lines. */
  since?: Date;
  /** Lines of the first read (default 200, at most 1000). */
  tail?: number;
  clock: Clock;
  /** Ctrl-C: the follow ends after the poll in flight. */
  signal: AbortSignal;
  /** Between two entries:list calls. Default 2 s: Cloud Logging allows 60 reads a minute per project. */
  intervalMs?: number;
  /**
   * Entries are indexed a few seconds after their timestamp, not always in order: each poll reads again from
   * this long before the newest timestamp seen, and insertId drops what was printed. Default 10 s.
   */
  lookbackMs?: number;
  /** A bound on the loop (default: a week of polls at the interval). */
  maxPolls?: number;
  /**
   * A poll that failed with Google unavailable (429/503 after the transport's own retries) is tried again at
   * the next interval, up to this many in a row (default 5); the next error ends the follow.
   */
  maxConsecutiveErrors?: number;
  /** Told of each poll that failed and will be tried again. */
  onPollError?: (error: Error, consecutive: number) => void;
}

export interface FollowCloudRunLogsResult {
  polls: number;
  lines: number;
}

/** RFC 3339 timestamp → a string that sorts by time whatever the digits of the fraction (Cloud Logging gives up to 9). */
export function timestampKey(timestamp: string): string {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/.exec(timestamp);
  if (m) return `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}Z`;
  const ms = Date.parse(timestamp);
  return Number.isNaN(ms) ? timestamp : timestampKey(new Date(ms).toISOString());
}

function entryId(e: CloudLogEntry): string {
  // insertId is unique per log within a timestamp; without one, the content identifies the entry.
  return `${e.timestamp}|${e.insertId ?? JSON.stringify(e)}`;
}

/**
 * `prodguard logs --follow` for a Cloud Run environment: the last lines, then entries:list polled every
 * `intervalMs` (on the injected clock) for entries from the newest timestamp seen (minus `lookbackMs`),
 * oldest first, each printed once (insertId). Ends when `signal` aborts or after `maxPolls`.
 */
export async function followCloudRunLogs(
  transport: GcpTransport,
  binding: CloudRunBinding,
  options: FollowCloudRunLogsOptions,
  print: (lines: LogLine[]) => void,
): Promise<FollowCloudRunLogsResult> {
  const intervalMs = options.intervalMs ?? 2_000;
  const lookbackMs = options.lookbackMs ?? 10_000;
  const maxPolls = options.maxPolls ?? Math.ceil((7 * 24 * 3_600_000) / intervalMs);
  const seen = new Map<string, string>(); // id → timestamp key, pruned behind the lookback
  let newest: string | undefined; // timestamp key
  let newestAt = options.since ?? options.clock.now();
  let lines = 0;

  const emit = (entries: CloudLogEntry[]) => {
    const fresh = entries.filter((e) => !seen.has(entryId(e)));
    fresh.sort((a, b) => timestampKey(a.timestamp).localeCompare(timestampKey(b.timestamp)));
    for (const e of fresh) {
      seen.set(entryId(e), timestampKey(e.timestamp));
      const key = timestampKey(e.timestamp);
      if (!newest || key > newest) {
        newest = key;
        newestAt = new Date(e.timestamp);
      }
    }
    if (fresh.length > 0) print(fresh.map(toLogLine));
    lines += fresh.length;
  };

  const first = await listLogEntries(transport, binding, {
    filter: cloudRunLogFilter(binding, options),
    orderBy: 'timestamp desc',
    limit: Math.min(options.tail ?? 200, 1_000),
  });
  emit(first);
  let polls = 0;
  let failures = 0;
  const maxErrors = options.maxConsecutiveErrors ?? 5;
  while (polls < maxPolls && !options.signal.aborted) {
    await options.clock.sleep(intervalMs, options.signal).catch(() => undefined);
    if (options.signal.aborted) break;
    polls++;
    const from = new Date(newestAt.getTime() - lookbackMs);
    let entries: CloudLogEntry[];
    try {
      entries = await listLogEntries(transport, binding, {
        filter: cloudRunLogFilter(binding, { ...options, since: from }),
        orderBy: 'timestamp asc',
        limit: 1_000,
      });
      failures = 0;
    } catch (error) {
      failures++;
      if (!isProdguardError(error) || error.code !== 'PRODGUARD_GCP_UNAVAILABLE' || failures > maxErrors)
        throw error;
      options.onPollError?.(error, failures);
      continue; // the window is unchanged: the next poll reads what this one missed
    }
    emit(entries);
    // What lies behind the read window cannot come back: forget it, so memory stays bounded.
    const floor = timestampKey(from.toISOString());
    for (const [id, key] of seen) if (key < floor) seen.delete(id);
  }
  return { polls, lines };
}
