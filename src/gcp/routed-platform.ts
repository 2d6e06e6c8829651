import type {
  MaintenanceSettings,
  Platform,
  Revision,
  RevisionMetrics,
  RevisionSpec,
  Service,
  TrafficTarget,
} from '../platform/platform.js';

/**
 * One Platform over several: each environment goes to the platform it is configured on (Cloud Run for
 * `kind: cloudrun`, the local agent otherwise). The fallback is opened lazily, so a workspace whose
 * environments all run on Cloud Run never needs the local agent.
 */
export type ClosablePlatform = Platform & { close(): Promise<void> };

export class RoutedPlatform implements ClosablePlatform {
  readonly #routes: ReadonlyMap<string, Platform>;
  readonly #fallback: () => ClosablePlatform;
  #opened: ClosablePlatform | undefined;

  constructor(routes: ReadonlyMap<string, Platform>, fallback: () => ClosablePlatform) {
    this.#routes = routes;
    this.#fallback = fallback;
  }

  #for(service: string): Platform {
    const routed = this.#routes.get(service);
    if (routed) return routed;
    this.#opened ??= this.#fallback();
    return this.#opened;
  }

  /** Closes the local agent client if it was opened (Cloud Run holds no connection worth closing). */
  async close(): Promise<void> {
    await this.#opened?.close();
  }

  async listServices(): Promise<Service[]> {
    const out: Service[] = [];
    for (const p of new Set(this.#routes.values())) out.push(...(await p.listServices()));
    const names = new Set(out.map((s) => s.name));
    try {
      for (const s of await this.#for('\u0000local').listServices()) if (!names.has(s.name)) out.push(s);
    } catch {
      // The local agent is not running: Cloud Run environments are still listed.
    }
    return out;
  }
  getService = (s: string): Promise<Service> => this.#for(s).getService(s);
  listRevisions = (s: string): Promise<Revision[]> => this.#for(s).listRevisions(s);
  getRevision = (s: string, r: string): Promise<Revision> => this.#for(s).getRevision(s, r);
  createRevision = (spec: RevisionSpec): Promise<Revision> => this.#for(spec.service).createRevision(spec);
  waitReady = (s: string, r: string, t: number, signal?: AbortSignal): Promise<Revision> =>
    this.#for(s).waitReady(s, r, t, signal);
  setTraffic = (s: string, targets: TrafficTarget[]): Promise<Service> => this.#for(s).setTraffic(s, targets);
  startRevision = (s: string, r: string): Promise<Revision> => this.#for(s).startRevision(s, r);
  stopRevision = (s: string, r: string): Promise<void> => this.#for(s).stopRevision(s, r);
  getMetrics = (s: string, w: number): Promise<RevisionMetrics[]> => this.#for(s).getMetrics(s, w);
  setMaintenance = (s: string, m: MaintenanceSettings | null): Promise<Service> =>
    this.#for(s).setMaintenance(s, m);
}
