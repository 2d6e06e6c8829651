import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { UsageError } from '../../kernel/errors.js';
import { compareMigrationNames } from '../migration-files.js';
import { type LintResult, lintMigration } from './lint-migration.js';

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

/** Lints files; findings name paths relative to `root` so output is stable across machines. */
export async function lintFiles(files: readonly string[], root: string): Promise<LintResult[]> {
  const results: LintResult[] = [];
  for (const file of files) {
    const shown = relative(root, file);
    const name = shown === '' || shown.startsWith('..') || isAbsolute(shown) ? file : shown;
    results.push(await lintMigration(readFileSync(file, 'utf8'), name));
  }
  return results;
}

/** SARIF 2.1.0, for code scanning UIs. */
export function toSarif(
  results: readonly LintResult[],
  rules: Readonly<Record<string, { safer: string; lock: string }>>,
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
