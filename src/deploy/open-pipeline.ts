import { openPlatformFor } from '../gcp/index.js';
import { ProdguardError } from '../kernel/errors.js';
import {
  buildRelease,
  connectLocalPlatform,
  createRevisionSandbox,
  peekRelease,
  pruneReleases,
  revisionSandboxOptions,
} from '../platform/index.js';
import { isAdminSecretName, SecretPins } from '../secrets/index.js';
import type { Workspace } from '../workspace/index.js';
import type { DeployChecks } from './deploy-checks.js';
import type { DeployEvents } from './deploy-events.js';
import { DeployStore } from './deploy-store.js';
import type { DeployPipelineDeps, PipelineConfig } from './pipeline-deps.js';
import { createHttpProbeClient } from './probe-client.js';
import type { ReleaseBuilder } from './release-builder.js';

export interface OpenPipelineOptions {
  events: DeployEvents;
  signal?: AbortSignal;
  /** Checks from other domains for the deploy action (the preflight checklist plugs in here). */
  checks?: DeployChecks;
}

export interface OpenedPipeline {
  config: PipelineConfig;
  deps: DeployPipelineDeps;
  close(): Promise<void>;
}

/**
 * Wires the pipeline for a workspace: the local agent as Platform, `buildRelease` as ReleaseBuilder,
 * HTTP probes, the operation kernel (which writes the audit trail) and the deploy tables.
 */
/** Credentials for prodguard itself (rotations' admin URL, the console's read-only login) never reach the app. */
export function toolSecretFilter(ws: Pick<Workspace, 'config'>): (name: string) => boolean {
  return (name) => isAdminSecretName(ws, name) || name === ws.config.database.readonlySecret;
}

/** A release built this recently stays: a deploy on another environment may be about to start it. */
const PRUNE_GRACE_MS = 60 * 60_000;

export async function openPipeline(ws: Workspace, options: OpenPipelineOptions): Promise<OpenedPipeline> {
  const actor = await ws.actor();
  const isToolSecret = toolSecretFilter(ws);
  // Cloud Run for `platform.kind: cloudrun` environments, the local agent for the others.
  const platform = openPlatformFor(ws.config, {
    env: ws.env,
    clock: ws.clock,
    local: () => connectLocalPlatform(ws.config),
  });
  // As root, the build, the smoke script and the E2E suite run as app.runAs, like revisions; a bad
  // app.runAs is refused here, before anything is built.
  const sandbox = createRevisionSandbox(revisionSandboxOptions(ws.config));
  const builder: ReleaseBuilder = {
    build: (commit, signal) =>
      buildRelease({
        commit,
        repoDir: ws.config.root,
        artifactsDir: ws.paths.artifacts,
        ...(ws.config.app.build ? { buildCommand: ws.config.app.build } : {}),
        buildTimeoutMs: ws.config.app.buildTimeout,
        processes: ws.processes,
        clock: ws.clock,
        sandbox,
        env: ws.env,
        ...(signal ? { signal } : {}),
      }),
    peek: (commit) =>
      peekRelease({
        commit,
        repoDir: ws.config.root,
        artifactsDir: ws.paths.artifacts,
        processes: ws.processes,
      }),
  };
  return {
    config: ws.config,
    deps: {
      platform,
      builder,
      ops: ws.operations,
      store: new DeployStore(ws.store, ws.clock),
      log: ws.log,
      clock: ws.clock,
      processes: ws.processes,
      probe: createHttpProbeClient(),
      events: options.events,
      actor,
      env: ws.env,
      scripts: sandbox,
      pruneReleases: (keep) =>
        pruneReleases({
          artifactsDir: ws.paths.artifacts,
          revisionsDir: ws.config.revisionsDirPath,
          keep,
          graceMs: PRUNE_GRACE_MS,
          nowMs: ws.clock.nowMs(),
        }),
      releaseFiles: async (commit, digest) => {
        const built = await builder.build(commit, options.signal);
        if (built.digest !== digest) {
          throw new ProdguardError(
            'PRODGUARD_PLATFORM_DIGEST_MISMATCH',
            `Commit ${commit.slice(0, 12)} builds to ${built.digest} now, not to ${digest}, the release that serves: its smoke script is not the one it was verified with.`,
            {
              hint: 'Deploy the commit again (prodguard deploy <env> --commit <sha>) so a verified release serves.',
            },
          );
        }
        return built.dir!;
      },
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.checks ? { checks: options.checks } : {}),
      pinnedSecrets: (environment) =>
        new SecretPins(ws.store, ws.clock).revisionSecrets(environment, isToolSecret),
      isAdminSecret: isToolSecret,
    },
    close: async () => {
      await platform.close();
    },
  };
}
