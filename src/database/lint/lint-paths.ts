import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { UsageError } from '../../kernel/errors.js';
import { compareMigrationNames } from '../migration-files.js';
import { type LintResult, lintMigrationHistory } from './lint-migration.js';

/** Expands lint arguments: a .sql file, a migration folder, or a folder of migration folders. */
export function expandLintPaths(paths: readonly string[], cwd: string): string[] {
  const out: string[] = [];
  for (const raw of paths) {
    const path = resolve(cwd, raw);
    if (!existsSync(path))
      throw new UsageError('PRODGUARD_LINT_PATH', `${raw} does not exist.`, {
        hint: 'Pass .sql files or migration folders.',
      });
    if (statSync(path).isFile()) {
      out.push(path);
      continue;
    }
    if (existsSync(join(path, 'migration.sql'))) {
      out.push(join(path, 'migration.sql'));
      continue;
    }
    for (const name of readdirSync(path).sort(compareMigrationNames)) {
      const child = join(path, name);
      if (statSync(child).isDirectory() && existsSync(join(child, 'migration.sql')))
        out.push(join(child, 'migration.sql'));
      else if (name.endsWith('.sql') && statSync(child).isFile()) out.push(child);
    }
  }
  return out;
}

/** The folder a migration belongs to the history of: `<dir>/<name>/migration.sql` → dir, `<dir>/V1__x.sql` → dir. */
function historyOf(file: string): string {
  return basename(file) === 'migration.sql' ? dirname(dirname(file)) : dirname(file);
}

/**
 * Lints files; the files of one history (one migrations folder) are linted in order, each knowing the
 * schema the earlier ones built. Findings name paths relative to `root` so output is stable across machines.
 */
export async function lintFiles(files: readonly string[], root: string): Promise<LintResult[]> {
  const histories = new Map<string, { sql: string; file: string; index: number }[]>();
  files.forEach((file, index) => {
    const shown = relative(root, file);
    const name = shown === '' || shown.startsWith('..') || isAbsolute(shown) ? file : shown;
    const history = histories.get(historyOf(file)) ?? [];
    history.push({ sql: readFileSync(file, 'utf8'), file: name, index });
    histories.set(historyOf(file), history);
  });
  const results: LintResult[] = new Array(files.length);
  for (const history of histories.values()) {
    const linted = await lintMigrationHistory(history);
    history.forEach((h, i) => {
      results[h.index] = linted[i]!;
    });
  }
  return results;
}

/** SARIF 2.1.0, for code scanning UIs. */
export function toSarif(
  results: readonly LintResult[],
  rules: Readonly<Record<string, { safer: string; lock: string; sources?: readonly string[] }>>,
) {
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'prodguard migrate lint',
            informationUri: 'https://github.com/prodguard/prodguard',
            rules: Object.entries(rules).map(([id, r]) => ({
              id,
              shortDescription: { text: id },
              help: { text: `Lock: ${r.lock}. Safer: ${r.safer}` },
              ...(r.sources?.[0] ? { helpUri: r.sources[0] } : {}),
            })),
          },
        },
        results: results.flatMap((r) =>
          r.findings
            .filter((f) => !f.ignored)
            .map((f) => ({
              ruleId: f.rule,
              level: f.severity === 'error' ? 'error' : 'warning',
              message: { text: `${f.message} Lock: ${f.lock}. Safer: ${f.safer}` },
              locations: [
                {
                  physicalLocation: {
                    artifactLocation: { uri: f.file.split('\\').join('/') },
                    region: { startLine: f.line, startColumn: f.column },
                  },
                },
              ],
            })),
        ),
      },
    ],
  };
}
