import { existsSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { artifactsDirOf } from '../../../src/config/index.js';
import { openWorkspace } from '../../../src/workspace/index.js';
import { runProdguard } from '../../helpers/cli.js';
import { createTempRepo, type TempRepo } from '../../helpers/git-repo.js';

describe('built releases live outside the project tree', () => {
  let repo: TempRepo | undefined;
  afterEach(() => repo?.cleanup());

  it('defaults to a per-project state folder, and `stateDir` outside the tree keeps them there', () => {
    const env = { HOME: '/home/dev' };
    const a = artifactsDirOf('/src/app', '/src/app/.prodguard', 'cvstomize-api', env);
    expect(a).toMatch(/^\/home\/dev\/\.local\/state\/prodguard\/cvstomize-api-[0-9a-f]{12}\/artifacts$/);
    expect(
      artifactsDirOf('/src/app', '/src/app/.prodguard', 'cvstomize-api', { XDG_STATE_HOME: '/x' }),
    ).toMatch(/^\/x\/prodguard\/cvstomize-api-[0-9a-f]{12}\/artifacts$/);
    // Two checkouts of one project do not share their artifacts.
    expect(artifactsDirOf('/src/app2', '/src/app2/.prodguard', 'cvstomize-api', env)).not.toBe(a);
    expect(artifactsDirOf('/src/app', '/var/lib/prodguard/app', 'cvstomize-api', env)).toBe(
      '/var/lib/prodguard/app/artifacts',
    );
  });

  it('moves releases built under .prodguard/artifacts by an older version out of the tree on open', async () => {
    repo = await createTempRepo({ '.gitignore': '.prodguard/\n' });
    expect((await runProdguard(['init'], { cwd: repo.dir })).exitCode).toBe(0);
    const legacy = join(repo.dir, '.prodguard', 'artifacts');
    const sha = 'a'.repeat(40);
    mkdirSync(join(legacy, sha), { recursive: true });
    writeFileSync(join(legacy, sha, 'app.test.js'), 'old copy\n');
    symlinkSync('app.test.js', join(legacy, sha, 'link.js'));
    writeFileSync(join(legacy, `${sha}.release.json`), '{}\n');
    const ws = openWorkspace({ cwd: repo.dir });
    try {
      expect(existsSync(legacy)).toBe(false);
      expect(ws.paths.artifacts.startsWith(repo.dir)).toBe(false);
      expect(readFileSync(join(ws.paths.artifacts, sha, 'app.test.js'), 'utf8')).toBe('old copy\n');
      expect(readlinkSync(join(ws.paths.artifacts, sha, 'link.js'))).toBe('app.test.js');
      expect(existsSync(join(ws.paths.artifacts, `${sha}.release.json`))).toBe(true);
    } finally {
      ws.close();
    }
  });
});
