import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LINT_RULES } from './lint-rules.js';

describe('LINT_RULES', () => {
  it('every rule names what it flags and at least one source', () => {
    for (const rule of Object.values(LINT_RULES)) {
      expect(rule.flags.length, rule.id).toBeGreaterThan(10);
      expect(rule.sources.length, rule.id).toBeGreaterThan(0);
      for (const source of rule.sources) expect(source, rule.id).toMatch(/^https:\/\//);
    }
  });

  it('docs/database.md lists every rule with its severity', () => {
    const doc = readFileSync(new URL('../../../docs/database.md', import.meta.url), 'utf8');
    const rows = new Map(
      [...doc.matchAll(/^\| `([a-z-]+)` \| (error|warning) \|/gm)].map((m) => [m[1], m[2]]),
    );
    expect(Object.fromEntries(rows)).toEqual(
      Object.fromEntries(Object.values(LINT_RULES).map((r) => [r.id, r.severity])),
    );
  });
});
