import type { ReleaseRef } from '../platform/index.js';

/**
 * Turns a commit-ish into a built release. The local platform's `buildRelease` (git archive, build once,
 * digest the tree) implements it; a Cloud Run adapter would build an image.
 */
export interface ReleaseBuilder {
  /** `dir`: the built files on this machine, when the platform keeps them (the local artifact). */
  build(commit: string, signal?: AbortSignal): Promise<ReleaseRef & { cached?: boolean; dir?: string }>;
  /**
   * Resolves a commit-ish without building; `digest` when that commit was built before. A deploy decides
   * its cheap rules on this before paying for a build or a test suite.
   */
  peek(commit: string): Promise<{ commit: string; digest?: string }>;
}
