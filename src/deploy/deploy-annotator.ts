import type { Revision, Service } from '../platform/index.js';
import type { DeployStore } from './deploy-store.js';

/**
 * Per-revision columns for `prodguard status` (the platform's RevisionAnnotator): the deploy verdict
 * (known-good, failed, rolled-back) and whether the revision's release is verified on its environment.
 */
export function createDeployAnnotator(
  store: DeployStore,
): (service: Service, revision: Revision) => Record<string, string> {
  return (service, revision) => {
    const verdict = store.latestVerdicts(service.name).find((v) => v.revision === revision.name);
    const { verification, revokedBy } = store.standingVerification(service.name, revision.release.digest);
    const failedElsewhere = verdict?.details.releaseFailedOn;
    return {
      verdict:
        verdict?.verdict === 'failed' && typeof failedElsewhere === 'string'
          ? `failed (on ${failedElsewhere})`
          : (verdict?.verdict ?? ''),
      verified: verification
        ? verification.at.slice(0, 16).replace('T', ' ')
        : revokedBy
          ? `revoked (failed on ${revokedBy.environment})`
          : '',
    };
  };
}
