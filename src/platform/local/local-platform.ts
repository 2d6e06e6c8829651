import { Pool } from 'undici';
import { isErrorCode } from '../../kernel/error-codes.js';
import { type ErrorKind, ProdguardError } from '../../kernel/errors.js';
import type {
  MaintenanceSettings,
  Platform,
  Revision,
  RevisionMetrics,
  RevisionSpec,
  Service,
  TrafficTarget,
} from '../platform.js';
import type { AgentInfo } from './agent-server.js';
import { platformError } from './platform-errors.js';

export interface LocalPlatformOptions {
  /** `http://127.0.0.1:<agentPort>` */
  baseUrl: string;
  token: string;
}

/**
 * The Platform port over the local agent's HTTP API. Errors the agent raises come back as the same
 * ProdguardError (code, message, hint, kind); an agent that does not answer is PRODGUARD_PLATFORM_AGENT_DOWN.
 */
export class LocalPlatform implements Platform {
  readonly baseUrl: string;
  readonly #token: string;
  readonly #pool: Pool;

  constructor(options: LocalPlatformOptions) {
    this.baseUrl = options.baseUrl.replace(/\/$/, '');
    this.#token = options.token;
    this.#pool = new Pool(this.baseUrl, { connections: 8, headersTimeout: 0, bodyTimeout: 0 });
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }

  agentInfo(): Promise<AgentInfo> {
    return this.#call('GET', '/v2/agent');
  }

  async shutdownAgent(): Promise<void> {
    await this.#call('POST', '/v2/agent:shutdown');
  }

  /** Prometheus text of every router. */
  prometheus(): Promise<string> {
    return this.#call('GET', '/metrics', undefined, undefined, true);
  }

  async listServices(): Promise<Service[]> {
    return (await this.#call<{ services: Service[] }>('GET', '/v2/services')).services;
  }

  getService(service: string): Promise<Service> {
    return this.#call('GET', `/v2/services/${enc(service)}`);
  }

  async listRevisions(service: string): Promise<Revision[]> {
    return (await this.#call<{ revisions: Revision[] }>('GET', `/v2/services/${enc(service)}/revisions`))
      .revisions;
  }

  getRevision(service: string, revision: string): Promise<Revision> {
    return this.#call('GET', `/v2/services/${enc(service)}/revisions/${enc(revision)}`);
  }

  createRevision(spec: RevisionSpec): Promise<Revision> {
    return this.#call('POST', `/v2/services/${enc(spec.service)}/revisions`, spec);
  }

  waitReady(service: string, revision: string, timeoutMs: number, signal?: AbortSignal): Promise<Revision> {
    return this.#call(
      'POST',
      `/v2/services/${enc(service)}/revisions/${enc(revision)}:waitReady`,
      { timeoutMs },
      signal,
    );
  }

  setTraffic(service: string, targets: TrafficTarget[]): Promise<Service> {
    return this.#call('PUT', `/v2/services/${enc(service)}/traffic`, { targets });
  }

  startRevision(service: string, revision: string): Promise<Revision> {
    return this.#call('POST', `/v2/services/${enc(service)}/revisions/${enc(revision)}:start`);
  }

  async stopRevision(service: string, revision: string): Promise<void> {
    await this.#call('POST', `/v2/services/${enc(service)}/revisions/${enc(revision)}:stop`);
  }

  async getMetrics(service: string, windowMs: number): Promise<RevisionMetrics[]> {
    return (
      await this.#call<{ metrics: RevisionMetrics[] }>(
        'GET',
        `/v2/services/${enc(service)}/metrics?windowMs=${Math.round(windowMs)}`,
      )
    ).metrics;
  }

  setMaintenance(service: string, settings: MaintenanceSettings | null): Promise<Service> {
    return this.#call('PUT', `/v2/services/${enc(service)}/maintenance`, { settings });
  }

  async #call<T>(
    method: string,
    path: string,
    body?: unknown,
    signal?: AbortSignal,
    text = false,
  ): Promise<T> {
    let response: Awaited<ReturnType<Pool['request']>>;
    try {
      response = await this.#pool.request({
        method: method as 'GET',
        path,
        headers: {
          authorization: `Bearer ${this.#token}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw platformError(
        'PRODGUARD_PLATFORM_AGENT_DOWN',
        `The platform agent at ${this.baseUrl} does not answer.`,
        {
          hint: 'Start it with `prodguard up --detach`.',
          cause: error,
        },
      );
    }
    const raw = await response.body.text();
    if (response.statusCode >= 200 && response.statusCode < 300) return (text ? raw : JSON.parse(raw)) as T;
    let parsed: {
      code?: string;
      message?: string;
      hint?: string;
      kind?: ErrorKind;
      details?: Record<string, unknown>;
    };
    try {
      parsed = JSON.parse(raw);
    } catch {
      parsed = {};
    }
    throw new ProdguardError(
      // A code this build does not know (an agent of another version) keeps its message under a known code.
      parsed.code !== undefined && isErrorCode(parsed.code) ? parsed.code : 'PRODGUARD_PLATFORM_BAD_REQUEST',
      parsed.message ?? `Agent answered ${response.statusCode} to ${method} ${path}.`,
      {
        ...(parsed.hint ? { hint: parsed.hint } : {}),
        kind: parsed.kind ?? 'failed',
        ...(parsed.details ? { details: parsed.details } : {}),
      },
    );
  }
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}
