import { type GcpApi, GcpApiError } from './gcp-api-error.js';
import type { GcpCallRecord, GcpRequest, GcpTransport } from './gcp-transport.js';
import { googleEndpoint } from './gcp-transport.js';
import { maskRequest } from './mask-request.js';

export interface PlanTransportOptions {
  /**
   * Where reads go. Plan mode does make GET calls: a plan built from the real current state (traffic to
   * pin, etags, existing versions) is the only plan worth trusting, and a GET changes nothing. Omit it
   * to plan offline: every read then answers 404, as if nothing existed yet.
   */
  reads?: GcpTransport;
  baseUrl?: (api: GcpApi) => string;
  /**
   * Also ask Google to check Cloud Run writes without applying them: the same request is sent to
   * `reads` with `validateOnly=true` (Cloud Run v2 create/update/delete support it; the other APIs
   * prodguard writes to have no such flag). The verdict is recorded on the planned call.
   */
  validateOnly?: boolean;
}

const PLAN_OPERATION = /\/operations\/plan-\d+$/;

/**
 * Records every call; sends GETs to `reads` and no write at all. Writes are answered with a finished
 * operation (Cloud Run: `done: true` echoing the body; Cloud SQL: `status: DONE`) so the adapter's own
 * code path runs to the end and the plan lists the whole sequence.
 */
export class PlanTransport implements GcpTransport {
  readonly mode = 'plan' as const;
  readonly #reads: GcpTransport | undefined;
  readonly #validateOnly: boolean;
  readonly #base: (api: GcpApi) => string;
  readonly #calls: GcpCallRecord[] = [];
  #operations = 0;

  constructor(options: PlanTransportOptions = {}) {
    this.#reads = options.reads;
    this.#validateOnly = options.validateOnly ?? false;
    this.#base = options.baseUrl ?? googleEndpoint;
  }

  /** Every call so far, in order, secrets masked. */
  get calls(): readonly GcpCallRecord[] {
    return this.#calls;
  }

  /** Only the calls that would change something. */
  get writes(): readonly GcpCallRecord[] {
    return this.#calls.filter((c) => c.kind === 'write');
  }

  async request<T>(req: GcpRequest): Promise<T> {
    if (req.method === 'GET' && PLAN_OPERATION.test(req.path)) {
      return (
        req.api === 'sqladmin'
          ? { kind: 'sql#operation', name: req.path.split('/').pop(), status: 'DONE' }
          : { name: req.path.replace(/^\/v\d+\//, ''), done: true }
      ) as T;
    }
    this.#calls.push(maskRequest(req, this.#base(req.api)));
    if (req.method === 'GET' || req.read) {
      if (this.#reads) return this.#reads.request<T>(req);
      throw new GcpApiError({
        api: req.api,
        method: req.method,
        path: req.path,
        httpStatus: 404,
        googleStatus: 'NOT_FOUND',
        message: 'offline plan: nothing is read',
        attempts: 1,
      });
    }
    if (this.#validateOnly && req.api === 'run' && this.#reads) {
      const record = this.#calls.at(-1)!;
      try {
        await this.#reads.request({ ...req, query: { ...req.query, validateOnly: true } });
        record.validation = 'accepted by validateOnly';
      } catch (error) {
        record.validation = `rejected by validateOnly: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
    this.#operations += 1;
    const id = `plan-${this.#operations}`;
    if (req.api === 'sqladmin')
      return { kind: 'sql#operation', name: id, status: 'DONE', operationType: 'PLANNED' } as T;
    const body = typeof req.body === 'object' && req.body !== null ? (req.body as object) : {};
    if (req.api === 'run') {
      const location = /^\/v\d+\/(projects\/[^/]+\/locations\/[^/]+)/.exec(req.path)?.[1] ?? 'projects/-';
      return { name: `${location}/operations/${id}`, done: true, response: body } as T;
    }
    // Secret Manager, Monitoring and Logging answer writes with the resource itself.
    return { name: req.path.replace(/^\/v\d+\//, '').replace(/:[a-zA-Z]+$/, ''), ...body } as T;
  }
}

/** One line per call, as `--plan` prints them. */
export function renderPlan(calls: readonly GcpCallRecord[], options: { reads?: boolean } = {}): string {
  const lines: string[] = [];
  for (const call of calls) {
    if (call.kind === 'read' && !options.reads) continue;
    lines.push(`${call.method} ${call.url}`);
    if (call.body !== undefined) lines.push(`  ${JSON.stringify(call.body)}`);
    if (call.validation) lines.push(`  (${call.validation})`);
  }
  return lines.join('\n');
}
