import type { ReleaseRef } from '../platform/index.js';

/**
 * Turns a commit-ish into a built release. The local platform's `buildRelease` (git archive, build once,
 * digest the tree) implements it; a Cloud Run adapter would build an image.
 */
export interface ReleaseBuilder {
  build(commit: string, signal?: AbortSignal): Promise<ReleaseRef & { cached?: boolean }>;
}
