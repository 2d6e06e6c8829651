// Compares `prodguard preflight production` with the seed's manual checklist run as a shell script
// (git status, git branch --show-current, curl the staging health URL, git tag -l), on the same repository.
// The test command is `true` for both, so the suite's own time does not hide prodguard's overhead.
// Usage: npm run build && node bench/preflight.mjs [runs] [--quick]
//   --quick: 2 runs on a 50-file repository (CI runs it so the bench keeps working; not a measurement).
import './shared/bench-sandbox.mjs';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const quick = process.argv.includes('--quick');
const runs = Number(process.argv.slice(2).find((a) => !a.startsWith('--')) ?? (quick ? 2 : 15));
const sourceFiles = quick ? 50 : 300;
// The manual checklist calls curl; without it the baseline cannot run.
const hasCurl = spawnSync('sh', ['-c', 'command -v curl']).status === 0;
const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'prodguard.js');

// The staging stand-in runs in its own process: the timed runs below block this one.
const server = spawn(
  process.execPath,
  [
    '-e',
    `require('node:http').createServer((q, r) => r.end('{"ok":true}')).listen(0, '127.0.0.1', function () { console.log(this.address().port); })`,
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const port = await new Promise((resolve) =>
  server.stdout.once('data', (d) => resolve(Number(String(d).trim()))),
);
// Never leave the stand-in running, even when a run fails.
process.on('exit', () => server.kill());
const healthUrl = `http://127.0.0.1:${port}/health`;

const dir = mkdtempSync(join(tmpdir(), 'prodguard-bench-'));
const git = (...args) => execFileSync('git', args, { cwd: dir, stdio: 'pipe' });
const write = (path, text) => {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), text);
};
git('init', '-q', '-b', 'main');
git('config', 'user.email', 'bench@example.com');
git('config', 'user.name', 'bench');
// A repository of realistic size: 300 source files.
for (let i = 0; i < sourceFiles; i++)
  write(`src/routes/r${i}.js`, `export const route${i} = (req, res) => res.json({ id: ${i} });\n`.repeat(20));
write('CHANGELOG.md', '# Changelog\n- 1.0\n');
write(
  'coverage/coverage-summary.json',
  JSON.stringify({
    total: {},
    [`${dir}/src/routes/r1.js`]: {
      lines: { total: 10, covered: 10 },
      statements: { total: 10, covered: 10 },
      branches: { total: 0, covered: 0 },
      functions: { total: 1, covered: 1 },
    },
  }),
);
write('.gitignore', '.prodguard/\n');
write(
  'prodguard.yaml',
  `version: 1\nproject: { name: bench }\ntests: { command: "true" }\nenvironments:\n  staging:\n    protected: true\n    health: { url: "${healthUrl}", timeout: 2s }\n  production:\n    requires: staging\n    branch: main\nfreeze: { weekdays: [] }\ncoverage:\n  groups: [{ name: overall, minimum: 80, include: ["**"] }]\n`,
);
git('add', '-A');
git('commit', '-q', '-m', 'initial');
for (let i = 0; i < 30; i++) {
  write(`src/routes/r${i}.js`, `export const route${i} = () => ${i};\n`);
  git('commit', '-q', '-am', `change ${i}`);
}

const manual = `set -e
git status --porcelain >/dev/null
git branch --show-current >/dev/null
curl -fsS --max-time 2 ${healthUrl} >/dev/null
git tag -l "v$(date +%Y%m%d-%H%M)" >/dev/null
`;

function time(fn) {
  const started = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - started) / 1e6;
}
const prodguard = () => {
  const r = spawnSync(process.execPath, [bin, 'preflight', 'production', '--json'], {
    cwd: dir,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`preflight failed: ${r.stdout}${r.stderr}`);
};
const script = () => {
  const r = spawnSync('bash', ['-c', manual], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`manual checklist failed: ${r.stderr}`);
};

const cold = time(prodguard); // first run: scans every file and commit, runs the test command
const samples = { prodguard: [], script: [] };
for (let i = 0; i < runs; i++) {
  if (hasCurl) samples.script.push(time(script));
  samples.prodguard.push(time(prodguard));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p = median(samples.prodguard);
server.kill();
if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
else console.log(dir);

console.log(`preflight benchmark (${runs} alternating runs, ${sourceFiles}-file repository, 31 commits)`);
if (hasCurl) {
  console.log(
    `  manual checklist script (4 checks: git status, git branch, curl, git tag): median ${median(samples.script).toFixed(0)} ms`,
  );
} else {
  console.log('  curl is not installed: skipping the manual checklist baseline.');
}
console.log(
  `  prodguard preflight production (11 checks incl. secret scan + coverage):  median ${p.toFixed(0)} ms (first, uncached run: ${cold.toFixed(0)} ms)`,
);
if (hasCurl) console.log(`  ratio prodguard / script: ${(p / median(samples.script)).toFixed(2)}x`);
