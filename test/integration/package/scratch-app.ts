import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeProcessRunner, type ProcessResult } from '../../../src/kernel/process-runner.js';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const RUNTIME_DIR = join(REPO, 'packages', 'runtime');

/** The exact version of a dependency the repository pins (root or runtime manifest). */
export function pinnedVersion(name: string): string {
  for (const manifest of [join(REPO, 'package.json'), join(RUNTIME_DIR, 'package.json')]) {
    const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as Record<string, Record<string, string>>;
    const version = pkg.dependencies?.[name] ?? pkg.devDependencies?.[name];
    if (version) return version;
  }
  throw new Error(`${name} is not pinned in package.json`);
}

async function run(
  file: string,
  args: string[],
  cwd: string,
  timeoutMs: number,
  env: NodeJS.ProcessEnv = {},
): Promise<ProcessResult> {
  const result = await nodeProcessRunner.run(file, args, {
    cwd,
    env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', NO_COLOR: '1', ...env },
    timeoutMs,
  });
  if (result.failed) {
    throw new Error(`${file} ${args.join(' ')} failed in ${cwd}:\n${result.stdout}\n${result.stderr}`);
  }
  return result;
}

export interface PackedTarballs {
  dir: string;
  prodguard: string;
  runtime: string;
  remove(): void;
}

/**
 * `npm pack` of both packages from the built tree (`npm run build` first; the pack skips `prepare`,
 * which would only rebuild the same files).
 */
export async function packBoth(): Promise<PackedTarballs> {
  for (const built of [join(REPO, 'dist', 'index.js'), join(RUNTIME_DIR, 'dist', 'index.js')]) {
    if (!existsSync(built)) throw new Error(`${built} is missing: build first (npm run build)`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'prodguard-pack-'));
  const pack = async (cwd: string) => {
    const { stdout } = await run(
      'npm',
      ['pack', '--ignore-scripts', '--json', '--pack-destination', dir],
      cwd,
      120_000,
    );
    const [entry] = JSON.parse(stdout) as { filename: string }[];
    return join(dir, entry!.filename);
  };
  return {
    dir,
    prodguard: await pack(REPO),
    runtime: await pack(RUNTIME_DIR),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** `npm pack` of the runtime package alone (from its built dist). */
export async function packRuntime(): Promise<{ tarball: string; remove(): void }> {
  const built = join(RUNTIME_DIR, 'dist', 'index.js');
  if (!existsSync(built)) throw new Error(`${built} is missing: build first (npm run build)`);
  const dir = mkdtempSync(join(tmpdir(), 'prodguard-pack-'));
  const { stdout } = await run(
    'npm',
    ['pack', '--ignore-scripts', '--json', '--pack-destination', dir],
    RUNTIME_DIR,
    120_000,
  );
  const [entry] = JSON.parse(stdout) as { filename: string }[];
  return { tarball: join(dir, entry!.filename), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface ScratchApp {
  dir: string;
  /** `npm install` into the app: offline first (npm's cache), the registry only for what it lacks. */
  install(specs: string[]): Promise<void>;
  /** Runs an ES module script in the app folder and returns its stdout parsed as JSON. */
  evaluate<T>(source: string, env?: NodeJS.ProcessEnv): Promise<T>;
  /** Runs an ES module script that must fail; returns its stderr. */
  evaluateFailing(source: string): Promise<string>;
  remove(): void;
}

/** An empty application folder, as a team would have before `npm install prodguard`. */
export function scratchApp(prefix: string): ScratchApp {
  const dir = mkdtempSync(join(tmpdir(), `prodguard-${prefix}-`));
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: 'scratch-app', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`,
  );
  const script = (source: string) => {
    const file = join(dir, `probe-${readdirSync(dir).length}.mjs`);
    writeFileSync(file, source);
    return file;
  };
  return {
    dir,
    install: async (specs) => {
      // No install scripts: better-sqlite3 would compile for minutes, and importing needs none of them.
      await run('npm', ['install', '--prefer-offline', '--ignore-scripts', ...specs], dir, 300_000);
    },
    evaluate: async <T>(source: string, env: NodeJS.ProcessEnv = {}) => {
      const { stdout } = await run(process.execPath, [script(source)], dir, 60_000, env);
      return JSON.parse(stdout) as T;
    },
    evaluateFailing: async (source: string) => {
      const result = await nodeProcessRunner.run(process.execPath, [script(source)], {
        cwd: dir,
        timeoutMs: 60_000,
      });
      if (!result.failed) throw new Error(`expected the script to fail, it printed:\n${result.stdout}`);
      return result.stderr;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Bytes of every file under a folder (what the package takes on disk, links not followed). */
export function folderBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += folderBytes(path);
    else if (entry.isFile()) total += statSync(path).size;
  }
  return total;
}

/** Names of the packages installed in a node_modules folder, scoped ones included, at any depth. */
export function installedPackages(nodeModules: string): string[] {
  const names = new Set<string>();
  const visit = (folder: string, depth: number) => {
    if (depth > 8 || !existsSync(folder)) return;
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      const paths = entry.name.startsWith('@')
        ? readdirSync(join(folder, entry.name)).map((n) => [
            `${entry.name}/${n}`,
            join(folder, entry.name, n),
          ])
        : [[entry.name, join(folder, entry.name)]];
      for (const [name, path] of paths) {
        names.add(name!);
        visit(join(path!, 'node_modules'), depth + 1);
      }
    }
  };
  visit(nodeModules, 0);
  return [...names].sort();
}

/** The dependency closure of one installed package (dependencies and optional ones). */
export function dependencyClosure(nodeModules: string, root: string): Set<string> {
  const seen = new Set<string>();
  const queue = [root];
  while (queue.length > 0 && seen.size < 1000) {
    const name = queue.shift()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const manifest = join(nodeModules, name, 'package.json');
    if (!existsSync(manifest)) continue;
    const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as Record<string, Record<string, string>>;
    queue.push(...Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies }));
  }
  return seen;
}
