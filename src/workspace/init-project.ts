import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { CONFIG_FILE_NAME, parseConfigText, renderDefaultConfig } from '../config/index.js';
import { ProdguardError, UsageError } from '../kernel/errors.js';
import type { ProcessRunner } from '../kernel/process-runner.js';
import { RULE_IDS } from '../rules/index.js';
import { ensureMasterKeyFile } from '../secrets/index.js';

export interface InitProjectOptions {
  cwd: string;
  force?: boolean;
  timezone?: string;
  projectName?: string;
  processes: ProcessRunner;
  /** Only PRODGUARD_MASTER_KEY is read: with it set, no key file is written. */
  env: NodeJS.ProcessEnv;
}

export interface InitProjectResult {
  configFile: string;
  overwritten: boolean;
  gitignoreUpdated: boolean;
  /** The vault's master key file, when init created it (not when PRODGUARD_MASTER_KEY is set). */
  masterKeyFile?: string;
  projectName: string;
  timezone: string;
}

/** Writes prodguard.yaml at the repository root and keeps .prodguard/ out of git. */
export async function initProject(options: InitProjectOptions): Promise<InitProjectResult> {
  const top = await options.processes.run('git', ['rev-parse', '--show-toplevel'], { cwd: options.cwd });
  if (top.failed) {
    throw new UsageError('PRODGUARD_INIT_NOT_A_REPO', `${options.cwd} is not inside a git repository.`, {
      hint: 'prodguard ties releases to commits: run `git init` (and commit) first.',
    });
  }
  const root = top.stdout.trim();
  const configFile = join(root, CONFIG_FILE_NAME);
  const exists = existsSync(configFile);
  if (exists && !options.force) {
    throw new ProdguardError(
      'PRODGUARD_INIT_CONFIG_EXISTS',
      `${configFile} already exists; init leaves it as it is.`,
      {
        kind: 'refused',
        hint: 'Run `prodguard config check` to validate it, or `prodguard init --force` to replace it with the defaults.',
      },
    );
  }
  const packageJson = readPackageJson(root);
  const projectName = options.projectName ?? packageJson?.name ?? basename(root);
  const timezone = options.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC';
  const text = renderDefaultConfig({
    projectName,
    timezone,
    productionBranch: 'main',
    testCommand: packageJson?.scripts?.test
      ? 'npm test'
      : 'echo "configure tests.command in prodguard.yaml" && exit 1',
  });
  // Validate before writing, so init can never leave a config that prodguard itself rejects (e.g. a bad --timezone).
  const config = parseConfigText(text, configFile, RULE_IDS);
  writeFileSync(configFile, text);
  const gitignoreUpdated = ensureGitignored(root, '.prodguard/');
  // The vault's key, created now so it can be backed up before the first secret exists.
  const key = ensureMasterKeyFile(config.stateDirPath, options.env);
  return {
    configFile,
    overwritten: exists,
    gitignoreUpdated,
    projectName,
    timezone,
    ...(key.created ? { masterKeyFile: key.file } : {}),
  };
}

function readPackageJson(root: string): { name?: string; scripts?: Record<string, string> } | undefined {
  try {
    return JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      name?: string;
      scripts?: Record<string, string>;
    };
  } catch {
    return undefined;
  }
}

function ensureGitignored(root: string, entry: string): boolean {
  const file = join(root, '.gitignore');
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const lines = current.split(/\r?\n/).map((l) => l.trim());
  if (lines.includes(entry) || lines.includes(entry.replace(/\/$/, '')) || lines.includes(`/${entry}`))
    return false;
  const prefix = current.length > 0 && !current.endsWith('\n') ? '\n' : '';
  writeFileSync(file, `${current}${prefix}${entry}\n`);
  return true;
}
