import type { Clock } from '../../kernel/clock.js';
import { ProdguardError } from '../../kernel/errors.js';
import type { GcpTransport } from './gcp-transport.js';

/** google.longrunning.Operation, as Cloud Run v2 returns it. */
export interface RunOperation<T = unknown> {
  name: string;
  done?: boolean;
  error?: { code: number; message: string; details?: unknown[] };
  response?: T;
  metadata?: unknown;
}

/** Cloud SQL Admin's own Operation (not google.longrunning): PENDING → RUNNING → DONE, errors in error.errors[]. */
export interface SqlOperation {
  kind?: string;
  name: string;
  status: 'SQL_OPERATION_STATUS_UNSPECIFIED' | 'PENDING' | 'RUNNING' | 'DONE';
  operationType?: string;
  targetId?: string;
  error?: { errors?: { code?: string; message?: string }[] };
}

export interface PollOptions {
  clock: Pick<Clock, 'sleep' | 'nowMs'>;
  /** Give up after this long; the operation keeps running on Google's side. */
  timeoutMs: number;
  /** First pause between polls; grows ×1.5 up to maxIntervalMs. */
  intervalMs?: number;
  maxIntervalMs?: number;
  signal?: AbortSignal;
}

async function pollUntil<T>(
  what: string,
  options: PollOptions,
  fetchOnce: () => Promise<T>,
  isDone: (value: T) => boolean,
): Promise<T> {
  const started = options.clock.nowMs();
  let interval = options.intervalMs ?? 1_000;
  // Bounded: the deadline ends the loop; the guard caps iterations should a clock never advance.
  for (let i = 0; i < 100_000; i++) {
    const value = await fetchOnce();
    if (isDone(value)) return value;
    if (options.clock.nowMs() - started + interval > options.timeoutMs) break;
    await options.clock.sleep(interval, options.signal);
    interval = Math.min(options.maxIntervalMs ?? 10_000, Math.ceil(interval * 1.5));
  }
  throw new ProdguardError(
    'PRODGUARD_GCP_OPERATION_TIMEOUT',
    `${what} did not finish within ${options.timeoutMs} ms.`,
    {
      hint: 'The operation keeps running on Google Cloud; check it in the console, then re-run (prodguard reads the current state first).',
    },
  );
}

/** Polls `GET /v2/{operation}` until done; throws PRODGUARD_GCP_OPERATION_FAILED with the operation's error. */
export async function waitRunOperation<T>(
  transport: GcpTransport,
  operation: RunOperation<T>,
  options: PollOptions,
): Promise<T> {
  const done = operation.done
    ? operation
    : await pollUntil(
        `Cloud Run operation ${operation.name}`,
        options,
        () =>
          transport.request<RunOperation<T>>({ api: 'run', method: 'GET', path: `/v2/${operation.name}` }),
        (op) => op.done === true,
      );
  if (done.error)
    throw new ProdguardError(
      'PRODGUARD_GCP_OPERATION_FAILED',
      `Cloud Run operation ${done.name} failed: ${done.error.message} (code ${done.error.code}).`,
      { hint: 'Read the revision conditions with `prodguard status` and the logs with `prodguard logs`.' },
    );
  return done.response as T;
}

/** Polls Cloud SQL's `GET /v1/projects/{p}/operations/{name}` until DONE. */
export async function waitSqlOperation(
  transport: GcpTransport,
  project: string,
  operation: SqlOperation,
  options: PollOptions,
): Promise<SqlOperation> {
  const done =
    operation.status === 'DONE'
      ? operation
      : await pollUntil(
          `Cloud SQL operation ${operation.name}`,
          options,
          () =>
            transport.request<SqlOperation>({
              api: 'sqladmin',
              method: 'GET',
              path: `/v1/projects/${project}/operations/${operation.name}`,
            }),
          (op) => op.status === 'DONE',
        );
  const errors = done.error?.errors ?? [];
  if (errors.length > 0)
    throw new ProdguardError(
      'PRODGUARD_GCP_OPERATION_FAILED',
      `Cloud SQL operation ${done.name} (${done.operationType ?? 'operation'}) failed: ${errors
        .map((e) => `${e.code ?? 'ERROR'}: ${e.message ?? ''}`)
        .join('; ')}`,
      { hint: 'See the operation in the Cloud SQL console (Operations tab) for details.' },
    );
  return done;
}

/** Follows nextPageToken until the last page; bounded to maxPages. */
export async function listAll<T>(
  fetchPage: (pageToken: string | undefined) => Promise<{ items: T[] | undefined; nextPageToken?: string }>,
  maxPages = 1_000,
): Promise<T[]> {
  const out: T[] = [];
  let token: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const { items, nextPageToken } = await fetchPage(token);
    out.push(...(items ?? []));
    if (!nextPageToken) return out;
    token = nextPageToken;
  }
  throw new ProdguardError('PRODGUARD_GCP_TOO_MANY_PAGES', `A listing went past ${maxPages} pages.`, {
    hint: 'Narrow the filter.',
  });
}
