// Everything a bench creates lives under one temporary folder, removed when the bench exits: its projects and
// databases (TMPDIR points there, so every `tmpdir()` in the bench and its children lands in it) and, unless
// PRODGUARD_STATE_HOME is set, prodguard's per-project state (artifacts, revision folders) instead of
// ~/.local/state/prodguard and /var/lib/prodguard. Import this first.
//
// Interrupted (Ctrl-C, SIGTERM), the bench stops what it started before it exits: the processes running in
// that folder or in one named with benchFolder() (detached agents in their projects, revisions, embedded
// PostgreSQL), and its own children (the app reached directly, nginx). A detached agent would otherwise keep
// serving after the bench is gone.
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = mkdtempSync(join(tmpdir(), 'prodguard-bench-'));
// As root, revisions and PostgreSQL run as other users, which must pass through this folder (no listing).
chmodSync(root, 0o711);
process.env.TMPDIR = root;
if (!process.env.PRODGUARD_STATE_HOME) {
  const stateHome = join(root, 'state');
  mkdirSync(stateHome, { mode: 0o711 });
  chmodSync(stateHome, 0o711);
  process.env.PRODGUARD_STATE_HOME = stateHome;
}
/** Folders the bench's processes run in: `root`, and those a bench names with benchFolder(). */
const folders = [root];
process.on('exit', () => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

/**
 * A folder the bench makes outside the temporary one (e.g. inside the repository, where the example app
 * finds its node_modules): what runs in it is stopped on an interrupt, and it is removed at exit.
 */
export function benchFolder(dir) {
  folders.push(dir);
  return dir;
}

/** Pids of the processes started in the bench's folders (by working folder) and of its children (Linux). */
function startedHere() {
  const pids = [];
  let entries = [];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return pids; // no /proc: nothing to sweep
  }
  for (const name of entries) {
    const pid = Number(name);
    if (pid === process.pid) continue;
    try {
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z') continue;
      const inFolder = folders.some((folder) => cwd === folder || cwd.startsWith(`${folder}/`));
      if (inFolder || Number(ppid) === process.pid) pids.push(pid);
    } catch {
      // gone, or another user's process this user may not inspect
    }
  }
  return pids;
}

function signalAll(pids, signal) {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** SIGTERM first (an agent then stops its revisions itself), SIGKILL whatever is left after 5 s. */
function stopStartedHere() {
  signalAll(startedHere(), 'SIGTERM');
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + 5000;
  while (startedHere().length > 0 && Date.now() < deadline) Atomics.wait(pause, 0, 0, 50);
  signalAll(startedHere(), 'SIGKILL');
}

for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
]) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping what the bench started, then exiting`);
    stopStartedHere();
    process.exit(code);
  });
}
