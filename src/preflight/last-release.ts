import { releaseTagGlob } from '../freeze/index.js';
import type { StateStore } from '../store/index.js';
import type { GitFacts } from './git-facts.js';

export interface LastRelease {
  commit: string;
  tag?: string;
  source: 'prodguard' | 'tag';
}

/**
 * The last release to the environment: the newest release mark prodguard recorded, else the newest
 * rollback tag matching the configured pattern. Only commits this repository has count.
 */
export async function findLastRelease(
  store: StateStore,
  git: GitFacts,
  environment: string,
  tagPattern: string,
): Promise<LastRelease | undefined> {
  const marks = store.db
    .prepare<[string], { commit_sha: string; tag: string | null }>(
      'SELECT commit_sha, tag FROM release_marks WHERE environment = ? ORDER BY id DESC LIMIT 20',
    )
    .all(environment);
  for (const mark of marks) {
    if (await git.commitExists(mark.commit_sha))
      return { commit: mark.commit_sha, ...(mark.tag ? { tag: mark.tag } : {}), source: 'prodguard' };
  }
  const tags = await git.raw(['tag', '-l', releaseTagGlob(tagPattern), '--sort=-creatordate']);
  const newest = tags.stdout.split('\n').find(Boolean);
  if (!newest) return undefined;
  const commit = await git.raw(['rev-list', '-n', '1', newest]);
  return commit.failed ? undefined : { commit: commit.stdout.trim(), tag: newest, source: 'tag' };
}

export function recordReleaseMark(
  store: StateStore,
  mark: { environment: string; commit: string; tag?: string; at: Date },
): void {
  store.db
    .prepare('INSERT INTO release_marks(environment, commit_sha, tag, at) VALUES (?,?,?,?)')
    .run(mark.environment, mark.commit, mark.tag ?? null, mark.at.toISOString());
}
