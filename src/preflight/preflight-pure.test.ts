import { describe, expect, it } from 'vitest';
import { assessCoverage, parseIstanbulSummary, parseLcov } from './checks/coverage-minimums.js';
import { parseAddedLines } from './secret-scanner.js';

describe('coverage', () => {
  const groups = [
    { name: 'critical paths', minimum: 100, include: ['src/auth/**'], exclude: [] },
    { name: 'overall', minimum: 80, include: ['**'], exclude: ['**/*.test.ts'] },
    { name: 'payments', minimum: 100, include: ['src/payments/**'], exclude: [] },
  ];

  it('sums covered/total over the files of each group (istanbul json-summary, absolute paths)', () => {
    const summary = JSON.stringify({
      total: { lines: { total: 30, covered: 25 } },
      '/repo/src/auth/login.ts': {
        lines: { total: 10, covered: 10 },
        statements: { total: 10, covered: 10 },
        branches: { total: 2, covered: 1 },
        functions: { total: 1, covered: 1 },
      },
      '/repo/src/api/routes.ts': {
        lines: { total: 20, covered: 15 },
        statements: { total: 20, covered: 15 },
        branches: { total: 4, covered: 4 },
        functions: { total: 2, covered: 2 },
      },
    });
    const assessed = assessCoverage(parseIstanbulSummary(summary, '/repo'), groups, 'lines');
    expect(assessed).toEqual([
      { name: 'critical paths', minimum: 100, files: 1, pct: 100, ok: true },
      { name: 'overall', minimum: 80, files: 2, pct: 83.33, ok: true },
      { name: 'payments', minimum: 100, files: 0, pct: null, ok: true },
    ]);
    expect(assessCoverage(parseIstanbulSummary(summary, '/repo'), groups, 'branches')[0]).toMatchObject({
      pct: 50,
      ok: false,
    });
  });

  it('reads lcov', () => {
    const lcov = 'TN:\nSF:/repo/src/auth/a.ts\nFNF:2\nFNH:1\nLF:10\nLH:9\nBRF:0\nBRH:0\nend_of_record\n';
    expect(assessCoverage(parseLcov(lcov, '/repo'), groups, 'lines')[0]).toMatchObject({
      pct: 90,
      ok: false,
    });
  });
});

describe('parseAddedLines', () => {
  it('maps added lines of each commit back to file line numbers', () => {
    const patch = [
      '\u0000commit aaaa',
      'diff --git a/config.js b/config.js',
      '--- a/config.js',
      '+++ b/config.js',
      '@@ -3,0 +4,2 @@',
      '+const a = 1;',
      '+const url = "x";',
      '\u0000commit bbbb',
      'diff --git a/new.txt b/new.txt',
      '--- /dev/null',
      '+++ b/new.txt',
      '@@ -0,0 +1 @@',
      '+hello',
    ].join('\n');
    expect(parseAddedLines(patch)).toEqual([
      { commit: 'aaaa', file: 'config.js', text: 'const a = 1;\nconst url = "x";\n', lineMap: [4, 5] },
      { commit: 'bbbb', file: 'new.txt', text: 'hello\n', lineMap: [1] },
    ]);
  });
});
