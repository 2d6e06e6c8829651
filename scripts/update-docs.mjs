// Regenerates the marked blocks of README.md and docs/*.md from the code itself:
//   <!-- prodguard-help:<command> -->   the output of `prodguard <command> --help`
//   <!-- prodguard-errors:all -->        every error code, from src/kernel/error-codes.ts
// Usage: npm run docs (writes), node scripts/update-docs.mjs --check (exit 1 and name the files that drift).
// --docs-root <dir> reads README.md and docs/ from another folder.
// Needs a build (dist/); `npm run docs` builds first.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { replaceMarkedBlocks } = await import(join(root, 'dist/cli/docs/replace-marked-blocks.js'));
const { renderErrorCodes } = await import(join(root, 'dist/cli/docs/render-error-codes.js'));

const check = process.argv.includes('--check');
// Where README.md and docs/ live (default: this repository); the drift test points it at a stale copy.
const docsRootFlag = process.argv.indexOf('--docs-root');
const docsRoot = docsRootFlag > 0 ? process.argv[docsRootFlag + 1] : root;

/** `prodguard` alone is the top-level help; otherwise the words of a (sub)command. */
function help(command) {
  const args = command === 'prodguard' ? [] : command.split(' ');
  // No colour and a pipe (commander wraps at 80 columns when stdout is not a terminal): the same text everywhere.
  return execFileSync(process.execPath, [join(root, 'bin/prodguard.js'), ...args, '--help'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
  });
}

function render(kind, name) {
  if (kind === 'help') {
    const shown = name === 'prodguard' ? 'prodguard' : `prodguard ${name}`;
    return `\`\`\`text\n$ ${shown} --help\n${help(name).trimEnd()}\n\`\`\`\n`;
  }
  if (kind === 'errors') return `\n${renderErrorCodes()}\n`;
  throw new Error(`unknown marked block kind "${kind}" (expected help or errors)`);
}

const files = [
  join(docsRoot, 'README.md'),
  ...readdirSync(join(docsRoot, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => join(docsRoot, 'docs', f)),
];
const drifted = [];
for (const file of files) {
  const before = readFileSync(file, 'utf8');
  const after = replaceMarkedBlocks(before, render);
  if (after === before) continue;
  drifted.push(relative(docsRoot, file));
  if (!check) writeFileSync(file, after);
}
if (check && drifted.length > 0) {
  process.stderr.write(
    `These files are out of date with the CLI and the error codes: ${drifted.join(', ')}.\nRun \`npm run docs\` and commit the result.\n`,
  );
  process.exit(1);
}
process.stdout.write(drifted.length ? `updated ${drifted.join(', ')}\n` : 'docs are up to date\n');
