import type { Platform } from '../platform/platform.js';

/** A revision that is running (starting, ready or serving) and the secret versions it was started with. */
export interface RunningRevision {
  revision: string;
  secretVersions: Record<string, number>;
}

/** Port: which secret versions running revisions hold. Destroy and rotation refuse to break them. */
export interface RunningRevisionSecrets {
  list(environment: string): Promise<RunningRevision[]>;
}

export interface RolloutResult {
  ok: boolean;
  /** The revision that now serves with the pins. */
  revision?: string;
  error?: string;
  /** Nothing was rolled out, and why (e.g. nothing runs yet): new revisions start with the new pins. */
  skipped?: string;
  /** With `skipped`: the platform confirmed no revision runs the previous version (it may be rotated over next). */
  previousRetired?: boolean;
}

/**
 * Port implemented by the deploy pipeline: start a new revision of the environment's current release with
 * these pinned secret versions, check its health, move traffic to it and watch it (authentication errors
 * included). `ok: false` means traffic stayed on (or returned to) revisions that use the previous pins.
 * It is called while `secrets rotate` holds the environment's lock: the roller must not take it again.
 */
export interface ServiceRoller {
  /**
   * Rolls out as a child operation of `parent` (the rotation). A child left running by a crash is resumed,
   * never started twice.
   */
  rollout(
    environment: string,
    pins: Record<string, number>,
    parent: { operationId: string },
  ): Promise<RolloutResult>;
  /**
   * Undoes an interrupted child rollout of `parent`: traffic back to exactly what it found, on ready
   * revisions. Returns the revisions that serve traffic afterwards with the secret versions they run
   * (undefined when no platform answers).
   */
  abortRollout(
    environment: string,
    parent: { operationId: string },
  ): Promise<{ message: string; serving?: RunningRevision[] }>;
  /**
   * Optional: authentication failures (SQLSTATE 28P01) the environment's running revisions reported since
   * `since` (ISO time). The single-user protocol watches it after changing the password.
   */
  authErrors?(environment: string, since: string): Promise<number>;
}

/** RunningRevisionSecrets over the Platform port (Cloud Run shaped): every revision that is not stopped. */
export function platformRunningRevisionSecrets(
  platform: Pick<Platform, 'listRevisions'>,
): RunningRevisionSecrets {
  return {
    list: async (environment) => {
      const revisions = await platform.listRevisions(environment);
      return revisions
        .filter((r) => r.state === 'starting' || r.state === 'ready')
        .map((r) => ({ revision: r.name, secretVersions: r.secretVersions }));
    },
  };
}

/** Running revisions of one environment that use `version` of `name`. */
export async function revisionsUsing(
  running: RunningRevisionSecrets | undefined,
  environment: string,
  name: string,
  versions: readonly number[],
): Promise<RunningRevision[] | undefined> {
  if (!running) return undefined;
  const all = await running.list(environment);
  return all.filter((r) => {
    const v = r.secretVersions[name];
    return v !== undefined && versions.includes(v);
  });
}
