import type { Config, TestsConfig } from '../config/index.js';
import type { Clock } from '../kernel/clock.js';
import type { Logger } from '../kernel/logger.js';
import type { ProcessRunner } from '../kernel/process-runner.js';
import type { OperationStore } from '../operations/index.js';
import type { Platform, PrunedReleases, RevisionSandbox } from '../platform/index.js';
import type { DeployChecks } from './deploy-checks.js';
import type { DeployEvents } from './deploy-events.js';
import type { DeploySettingsConfig } from './deploy-settings.js';
import type { DeployStore } from './deploy-store.js';
import type { ProbeClient } from './probe-client.js';
import type { ReleaseBuilder } from './release-builder.js';

/** The config keys the pipeline reads. */
export type PipelineConfig = DeploySettingsConfig &
  Pick<Config, 'rules' | 'root' | 'timezone' | 'releaseTag' | 'app' | 'environmentOrder'> & {
    /** Only tests.e2e is read: the E2E suite a deploy to a required environment runs. */
    readonly tests?: TestsConfig | undefined;
  };

/** The narrow ports the pipeline drives; the CLI wires the real ones, tests the in-memory platform. */
export interface PipelineDeps {
  platform: Platform;
  /** The operation kernel's journal; it also writes the audit intent and outcome of every operation. */
  ops: OperationStore;
  store: DeployStore;
  clock: Clock;
  processes: ProcessRunner;
  probe: ProbeClient;
  events: DeployEvents;
  actor: string;
  /** Aborted on Ctrl-C: the running operation restores the traffic it had before. */
  signal?: AbortSignal;
  /** The environment prodguard was started with; the smoke test gets only PATH and HOME from it. */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * Who runs the release's smoke script and E2E suite: placed like a revision of the environment (as
   * app.runAs, from the environment's folder of releases, when prodguard is root), so they cannot read the
   * vault key, the state database or the agent token. Omitted: prodguard's own user, from the artifact.
   */
  scripts?: Pick<RevisionSandbox, 'user' | 'place'>;
  /**
   * The release's own files (its artifact, rebuilt when missing) for a deploy that did not record them, such
   * as a secrets rollout restarting the serving release: its smoke script runs from them, never from the
   * working tree, which may hold another commit.
   */
  releaseFiles?: (commit: string, digest: string) => Promise<string>;
  /** Lock lease; a stalled holder loses the lock after it. */
  lockTtlMs?: number;
  /**
   * Admin credentials (e.g. DATABASE_URL_ADMIN) are for prodguard's rotations, never for the app. Every
   * revision is created through the deploy step that applies this filter, whatever started the deploy.
   */
  isAdminSecret?: (name: string) => boolean;
  /** Housekeeping failures (a revision that would not stop) are logged here. */
  log?: Logger;
  /**
   * Removes the built releases of commits outside `keep` (the local artifact store, see pruneReleases),
   * after a verified deploy. Omitted: releases are not kept on this machine, or not pruned.
   */
  pruneReleases?: (keep: ReadonlySet<string>) => Promise<PrunedReleases>;
}

export interface DeployPipelineDeps extends PipelineDeps {
  builder: ReleaseBuilder;
  /** Checks of other domains for the deploy action (the preflight checklist). */
  checks?: DeployChecks;
  /**
   * The secret versions pinned for an environment (the vault's pins): a new revision runs with exactly
   * these, never "latest". Journaled with the operation, so a resumed deploy starts the same versions.
   */
  pinnedSecrets?: (environment: string) => Record<string, { version: number; envVar: string }>;
}
