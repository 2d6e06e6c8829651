import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALL_ERROR_CODES, ERROR_CODES, isErrorCode } from './error-codes.js';

const srcDir = join(import.meta.dirname, '..');

function sourceText(): string {
  const files = readdirSync(srcDir, { recursive: true, encoding: 'utf8' }).filter(
    (f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('error-codes.ts'),
  );
  return files.map((f) => readFileSync(join(srcDir, f), 'utf8')).join('\n');
}

describe('ERROR_CODES', () => {
  it('lists each code once, under the area its name says', () => {
    expect(new Set(ALL_ERROR_CODES).size).toBe(ALL_ERROR_CODES.length);
    for (const code of ALL_ERROR_CODES) expect(code).toMatch(/^PRODGUARD_[A-Z]+(_[A-Z0-9]+)*$/);
    expect(ERROR_CODES.secrets.every((c) => c.startsWith('PRODGUARD_SECRET_'))).toBe(true);
    expect(ERROR_CODES.deploy.every((c) => c.startsWith('PRODGUARD_DEPLOY_'))).toBe(true);
  });

  it('holds no dead code: every listed code is raised somewhere in src', () => {
    const text = sourceText();
    const unused = ALL_ERROR_CODES.filter((code) => !text.includes(`'${code}'`));
    expect(unused).toEqual([]);
  });

  it('tells a known code from any other string', () => {
    expect(isErrorCode('PRODGUARD_SECRET_NOT_FOUND')).toBe(true);
    expect(isErrorCode('PRODGUARD_SECRET_NOT_FOUNDD')).toBe(false);
  });
});
