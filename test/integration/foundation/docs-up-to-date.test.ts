import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../../..');

describe('generated docs', () => {
  it('README.md and docs/*.md match the CLI help and the error codes (run `npm run docs` when this fails)', () => {
    const result = spawnSync(process.execPath, [join(root, 'scripts/update-docs.mjs'), '--check'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
