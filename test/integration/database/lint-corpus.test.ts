import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { lintMigration } from '../../../src/database/index.js';

const CORPUS = fileURLToPath(new URL('../../../../shared/data/lint-corpus/', import.meta.url));

interface CorpusEntry {
  unsafe: boolean;
  kind: string;
  settings?: { assume_in_transaction?: boolean };
  squawk_2_66_flags?: string[];
}

// The corpus is shared test data next to the repository (../shared). Without it the test skips and says why;
// in CI, where ../shared is checked out, its absence is a failure rather than a silent skip.
const MANIFEST = join(CORPUS, 'manifest.json');
const present = existsSync(MANIFEST);
const inCi = process.env.CI === 'true' || process.env.CI === '1';
if (!present && !inCi)
  console.log(
    `lint corpus skipped: ${MANIFEST} not found (the shared test data sits next to the repository, at ../shared/data)`,
  );

describe.runIf(!present && inCi)('lint corpus in CI', () => {
  it('is present: CI checks out ../shared next to the repository', () => {
    expect.fail(`${MANIFEST} not found; CI must provide ../shared/data (see ../shared/data/README.md)`);
  });
});

describe.skipIf(!present)('lint corpus (squawk and real Prisma migrations)', () => {
  it('flags unsafe statements and leaves safe ones alone; prints precision and recall', async () => {
    const manifest = JSON.parse(readFileSync(join(CORPUS, 'manifest.json'), 'utf8')) as Record<
      string,
      CorpusEntry
    >;
    let tp = 0;
    let fp = 0;
    let fn = 0;
    let tn = 0;
    const wrong: string[] = [];
    for (const [file, entry] of Object.entries(manifest)) {
      const sql = readFileSync(join(CORPUS, file), 'utf8');
      const result = await lintMigration(sql, file, {
        // squawk's default: not in a transaction unless the test says so
        assumeInTransaction: entry.settings?.assume_in_transaction ?? false,
      });
      const flagged = result.blocking > 0;
      const rules = [...new Set(result.findings.filter((f) => f.severity === 'error').map((f) => f.rule))];
      if (flagged && entry.unsafe) tp++;
      else if (flagged && !entry.unsafe) fp++;
      else if (!flagged && entry.unsafe) fn++;
      else tn++;
      if (flagged !== entry.unsafe)
        wrong.push(`${file}: expected ${entry.unsafe ? 'unsafe' : 'safe'}, got [${rules.join(', ')}]`);
      if (flagged && entry.unsafe && entry.squawk_2_66_flags?.length) {
        // a true positive should name at least one of the rules squawk names
        expect(
          rules.some((r) => entry.squawk_2_66_flags!.includes(r)),
          `${file}: ${rules.join(', ')}`,
        ).toBe(true);
      }
    }
    const precision = tp / (tp + fp);
    const recall = tp / (tp + fn);
    console.log(
      `lint corpus: ${tp + fp + fn + tn} files, ${tp + fn} unsafe; precision ${(precision * 100).toFixed(1)}%, recall ${(recall * 100).toFixed(1)}% (tp ${tp}, fp ${fp}, fn ${fn}, tn ${tn})${wrong.length ? `\n  ${wrong.join('\n  ')}` : ''}`,
    );
    expect(tp + fp + fn + tn).toBeGreaterThanOrEqual(40);
    expect(precision).toBeGreaterThanOrEqual(0.9);
    expect(recall).toBeGreaterThanOrEqual(0.9);
  });
});
