import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProdguard } from '../../helpers/cli.js';

describe('prodguard secrets add NAME=VALUE (real CLI)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'prodguard-secrets-argv-'));
    writeFileSync(
      join(dir, 'prodguard.yaml'),
      'version: 1\nproject:\n  name: argv-test\nenvironments:\n  staging:\n    protected: true\n',
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses the value glued to the name without echoing it, in text and --json, and stores nothing', async () => {
    const value = 'sk_live_Gl0ued-To-The-Name-9876';
    for (const args of [
      ['secrets', 'add', `API_KEY=${value}`, '--env', 'staging'],
      ['--json', 'secrets', 'add', `API_KEY=${value}`, '--env', 'staging'],
      ['secrets', 'add', `API_KEY=${value}`],
      ['secrets', 'add', `=${value}`, '--env', 'staging'],
    ]) {
      const r = await runProdguard(args, { cwd: dir });
      expect(r.exitCode, r.stderr).toBe(2);
      expect(`${r.stdout}${r.stderr}`).toContain('PRODGUARD_SECRET_VALUE_IN_ARGV');
      expect(`${r.stdout}${r.stderr}`).not.toContain(value);
      expect(`${r.stdout}${r.stderr}`).not.toContain('Gl0ued');
    }
    const list = await runProdguard(['--json', 'secrets', 'list'], { cwd: dir });
    expect(JSON.parse(list.stdout).secrets).toEqual([]);
  });
});
