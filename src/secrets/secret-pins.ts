import type { Clock } from '../kernel/clock.js';
import type { StateStore } from '../store/state-store.js';
import type { SecretRef } from './secret-vault.js';

export interface SecretPin extends SecretRef {
  version: number;
  /** The version pinned before this one: what a failed rollout re-pins. */
  previousVersion?: number;
  pinnedAt: string;
  pinnedBy: string;
}

interface PinRow {
  name: string;
  environment: string;
  version: number;
  previous_version: number | null;
  pinned_at: string;
  pinned_by: string;
}

function toPin(row: PinRow): SecretPin {
  return {
    name: row.name,
    environment: row.environment,
    version: row.version,
    ...(row.previous_version !== null ? { previousVersion: row.previous_version } : {}),
    pinnedAt: row.pinned_at,
    pinnedBy: row.pinned_by,
  };
}

/**
 * Which version each environment's revisions use: a number, never "latest" (seed §7: pin to a specific
 * version for stability). Kept in prodguard's store, as Cloud Run keeps it in the service config.
 */
export class SecretPins {
  readonly #store: StateStore;
  readonly #clock: Clock;

  constructor(store: StateStore, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  get(ref: SecretRef): SecretPin | undefined {
    const row = this.#store.db
      .prepare<[string, string], PinRow>('SELECT * FROM secret_pins WHERE name = ? AND environment = ?')
      .get(ref.name, ref.environment);
    return row ? toPin(row) : undefined;
  }

  list(filter: { environment?: string; name?: string } = {}): SecretPin[] {
    const where: string[] = [];
    const params: string[] = [];
    if (filter.environment) {
      where.push('environment = ?');
      params.push(filter.environment);
    }
    if (filter.name) {
      where.push('name = ?');
      params.push(filter.name);
    }
    return this.#store.db
      .prepare<string[], PinRow>(
        `SELECT * FROM secret_pins ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY environment, name`,
      )
      .all(...params)
      .map(toPin);
  }

  /** Pins `version`; remembers the version it replaces. Returns the new pin. */
  set(ref: SecretRef, version: number, actor: string): SecretPin {
    return this.#store.transaction(() => {
      const current = this.get(ref);
      if (current?.version === version) return current;
      this.#store.db
        .prepare(
          `INSERT INTO secret_pins(name, environment, version, previous_version, pinned_at, pinned_by) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT(name, environment) DO UPDATE SET version = excluded.version, previous_version = excluded.previous_version,
             pinned_at = excluded.pinned_at, pinned_by = excluded.pinned_by`,
        )
        .run(
          ref.name,
          ref.environment,
          version,
          current?.version ?? null,
          this.#clock.now().toISOString(),
          actor,
        );
      return this.get(ref)!;
    });
  }

  /** The previous version is no longer running anywhere (a rollout retired it): forget it. */
  clearPrevious(ref: SecretRef): void {
    this.#store.db
      .prepare('UPDATE secret_pins SET previous_version = NULL WHERE name = ? AND environment = ?')
      .run(ref.name, ref.environment);
  }

  /** Pin map of one environment: secret name → pinned version. */
  forEnvironment(environment: string): Record<string, number> {
    return Object.fromEntries(this.list({ environment }).map((p) => [p.name, p.version]));
  }

  /**
   * The pins as `RevisionSpec.secrets` carries them (delivered under the secret's own name). Admin
   * connection secrets (`secrets.adminSecret`) are prodguard's, not the app's: pass `exclude` to leave them out.
   */
  revisionSecrets(
    environment: string,
    exclude: (name: string) => boolean = () => false,
  ): Record<string, { version: number; envVar: string }> {
    return Object.fromEntries(
      this.list({ environment })
        .filter((p) => !exclude(p.name))
        .map((p) => [p.name, { version: p.version, envVar: p.name }]),
    );
  }
}
