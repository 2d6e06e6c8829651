import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../../..');

function checkDocs(docsRoot = root) {
  return spawnSync(
    process.execPath,
    [join(root, 'scripts/update-docs.mjs'), '--check', '--docs-root', docsRoot],
    { cwd: root, encoding: 'utf8' },
  );
}

describe('generated docs', () => {
  const stale = mkdtempSync(join(tmpdir(), 'prodguard-docs-'));
  afterAll(() => rmSync(stale, { recursive: true, force: true }));

  it('README.md and docs/*.md match the CLI help and the error codes (run `npm run docs` when this fails)', () => {
    const result = checkDocs();
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('fails on a help block that no longer matches the CLI, and says how to fix it', () => {
    cpSync(join(root, 'README.md'), join(stale, 'README.md'));
    cpSync(join(root, 'docs'), join(stale, 'docs'), { recursive: true });
    const file = join(stale, 'docs', 'secrets.md');
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('<!-- prodguard-help:secrets rotate -->');
    // A help line that the CLI no longer prints (however the help happens to wrap).
    const edited = text.replace(
      /(<!-- prodguard-help:secrets rotate -->\n```[a-z]*\n)/,
      '$1  --resume-all   an option that does not exist\n',
    );
    expect(edited).not.toBe(text);
    writeFileSync(file, edited);
    const result = checkDocs(stale);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('docs/secrets.md');
    expect(result.stderr).toContain('Run `npm run docs`');
  });
});
