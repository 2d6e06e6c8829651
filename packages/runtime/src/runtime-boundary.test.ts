import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('.', import.meta.url));
const MANIFEST = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
};

describe('@prodguard/runtime boundary', () => {
  it('imports only node:, pg and its own modules (applications ship it alone)', () => {
    const offenders: string[] = [];
    for (const file of readdirSync(SRC).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
      const source = readFileSync(`${SRC}/${file}`, 'utf8');
      for (const [, fromSpecifier, dynamicSpecifier] of source.matchAll(
        /^(?:import|export)\b[^;]*?\bfrom\s+'([^']+)'|\bimport\(\s*'([^']+)'/gm,
      )) {
        const specifier = fromSpecifier ?? dynamicSpecifier;
        const allowed =
          specifier?.startsWith('node:') || specifier === 'pg' || /^\.\/[a-z-]+\.js$/.test(specifier ?? '');
        if (!allowed) offenders.push(`${file}: ${specifier}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('declares no dependency of its own: pg is a peer, so the pool is built with the application’s pg', () => {
    expect(MANIFEST.dependencies ?? {}).toEqual({});
    expect(Object.keys(MANIFEST.peerDependencies ?? {})).toContain('pg');
  });
});
