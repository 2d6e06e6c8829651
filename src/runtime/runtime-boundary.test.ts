import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DIR = fileURLToPath(new URL('.', import.meta.url));

describe('prodguard/runtime boundary', () => {
  it('imports only node:, pg, its own modules and the redaction helper (applications ship it alone)', () => {
    const offenders: string[] = [];
    for (const file of readdirSync(DIR).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
      const source = readFileSync(`${DIR}/${file}`, 'utf8');
      for (const [, specifier] of source.matchAll(/\bfrom\s+'([^']+)'/g)) {
        const allowed =
          specifier?.startsWith('node:') ||
          specifier === 'pg' ||
          /^\.\/[a-z-]+\.js$/.test(specifier ?? '') ||
          specifier === '../kernel/redact.js';
        if (!allowed) offenders.push(`${file}: ${specifier}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
