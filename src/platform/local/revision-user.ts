import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { platformError } from './platform-errors.js';

/** Who a revision's process runs as. */
export interface RevisionUser {
  /** The user's name, or `uid <n>` when /etc/passwd has none for it; `per-environment` for dynamic users. */
  readonly name: string;
  /** Absent when each environment runs as a uid of its own (perEnvironment). */
  readonly uid?: number;
  /**
   * True when prodguard is root and revisions run as another user with a group per environment. False when
   * prodguard is not root: revisions then run as prodguard's own user (it cannot switch users).
   */
  readonly switched: boolean;
  /**
   * As root with app.runAs unset: each environment's revisions, and each build, run as a uid of their own, the
   * number of their group, with no /etc/passwd entry (as systemd's DynamicUser does). A staging revision or a
   * build then cannot signal, trace or read the memory of production's processes, which one shared user can.
   */
  readonly perEnvironment?: true;
}

export const PER_ENVIRONMENT_USER: RevisionUser = {
  name: 'per-environment',
  switched: true,
  perEnvironment: true,
};

export interface ResolveRevisionUserOptions {
  /** app.runAs as written; undefined → a uid per environment (PER_ENVIRONMENT_USER). */
  runAs: string | undefined;
  /** prodguard's own uid (process.getuid()). */
  uid: number;
  /** Text of /etc/passwd. */
  passwd: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
}

function parsePasswd(text: string): PasswdEntry[] {
  const entries: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    const [name, , uid] = line.split(':');
    if (!name || name.startsWith('#') || uid === undefined || !/^\d+$/.test(uid)) continue;
    entries.push({ name, uid: Number(uid) });
  }
  return entries;
}

/**
 * The user revisions run as. As root: app.runAs, refused when it is unknown or is root itself (revisions never
 * fall back to root); unset, a uid per environment. Not root: prodguard's own user, whatever app.runAs says.
 *
 * @example resolveRevisionUser({ runAs: 'nobody', uid: 0, passwd: 'nobody:x:65534:65534::/:/bin/false' })
 * // → { name: 'nobody', uid: 65534, switched: true }
 */
export function resolveRevisionUser(options: ResolveRevisionUserOptions): RevisionUser {
  const entries = parsePasswd(options.passwd);
  if (options.uid !== 0) {
    const own = entries.find((e) => e.uid === options.uid);
    return { name: own?.name ?? `uid ${options.uid}`, uid: options.uid, switched: false };
  }
  if (options.runAs === undefined) return PER_ENVIRONMENT_USER;
  const wanted = options.runAs;
  const numeric = /^\d+$/.test(wanted) ? Number(wanted) : undefined;
  const entry =
    numeric === undefined ? entries.find((e) => e.name === wanted) : entries.find((e) => e.uid === numeric);
  if (numeric === undefined && !entry) {
    throw platformError(
      'PRODGUARD_PLATFORM_RUN_AS_UNKNOWN',
      `Revisions run as "${wanted}" when prodguard runs as root (app.runAs), but /etc/passwd has no such user.`,
      {
        kind: 'usage',
        hint: `Create it (\`useradd --system --no-create-home --shell /usr/sbin/nologin ${wanted}\`), set app.runAs in prodguard.yaml to an existing unprivileged user or a numeric uid, or remove app.runAs so each environment runs as a uid of its own. Revisions never run as root.`,
        details: { runAs: wanted },
      },
    );
  }
  const uid = numeric ?? entry!.uid;
  if (uid === 0) {
    throw platformError(
      'PRODGUARD_PLATFORM_RUN_AS_ROOT',
      `app.runAs is "${wanted}", which is root: a revision running as root reads the vault key, the state database and the agent token.`,
      {
        kind: 'usage',
        hint: 'Remove app.runAs (each environment then runs as a uid of its own), set it to an unprivileged user, or run prodguard as a regular user.',
      },
    );
  }
  return { name: entry?.name ?? `uid ${uid}`, uid, switched: true };
}

/** Group ids prodguard gives environments: far above the ids of real users and groups, below 2^31. */
export const ENVIRONMENT_GID_BASE = 1_900_000_000;
export const ENVIRONMENT_GID_SPAN = 100_000_000;

/**
 * The group of one environment of one project, stable across restarts: its revisions run with it as their only
 * group, and only it may enter the environment's folder of releases. Like systemd's dynamic users, it needs no
 * /etc/group entry; an id that /etc/group names is skipped, so a revision never gains a real group's access.
 */
export function environmentGid(
  projectRoot: string,
  environment: string,
  groupText: string,
  passwdText = '',
): number {
  // An id /etc/passwd names is skipped too: the number doubles as the environment's uid (perEnvironment).
  const taken = new Set<number>();
  for (const line of `${groupText}\n${passwdText}`.split('\n')) {
    const gid = line.split(':')[2];
    if (gid !== undefined && /^\d+$/.test(gid)) taken.add(Number(gid));
  }
  const digest = createHash('sha256')
    .update(`${resolve(projectRoot)}\0${environment}`)
    .digest();
  const start = digest.readUInt32BE(0) % ENVIRONMENT_GID_SPAN;
  for (let i = 0; i < 1000; i++) {
    const gid = ENVIRONMENT_GID_BASE + ((start + i) % ENVIRONMENT_GID_SPAN);
    if (!taken.has(gid)) return gid;
  }
  throw new Error(`no free group id near ${ENVIRONMENT_GID_BASE + start}`);
}

/**
 * The group of one build (app.build), its only group: like an environment's, but no environment's name can
 * produce it (names are lowercase letters, digits and dashes), so a build never enters an environment's
 * folder; one per build, so what a build left running is found by its group and killed, and never enters
 * another build's folder.
 */
export function buildGid(projectRoot: string, buildName: string, groupText: string, passwdText = ''): number {
  return environmentGid(projectRoot, ` build ${buildName}`, groupText, passwdText);
}

/** One line for `status` and `up`: who revisions run as, and why. */
export function describeRevisionUser(user: RevisionUser): string {
  if (user.perEnvironment)
    return 'revisions run as a uid and group of their environment’s own, builds as one of their own (app.runAs unset)';
  return user.switched
    ? `revisions run as ${user.name} (uid ${user.uid}, app.runAs), each environment with a group of its own, builds as a uid of their own; environments share the uid, so one's processes can signal another's (unset app.runAs to give each a uid)`
    : `revisions run as ${user.name} (uid ${user.uid}), prodguard's own user: app.runAs applies only when prodguard runs as root`;
}
