import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Finds `prodguard/runtime`, in this order:
 * 1. `PRODGUARD_RUNTIME`: a path (or file: URL) to prodguard's `dist/runtime/index.js`;
 * 2. the package `prodguard/runtime` (an app that ran `npm install prodguard`);
 * 3. the nearest enclosing folder whose package.json is named "prodguard" and that has been built
 *    (this example inside the prodguard repository, or a copy of it anywhere under the prodguard root,
 *    such as a deploy artifact in `.prodguard/artifacts/<sha>/`, itself an unbuilt copy that is skipped).
 */
export async function loadRuntime(env, appDir) {
  if (env.PRODGUARD_RUNTIME) {
    const target = env.PRODGUARD_RUNTIME.startsWith('file:')
      ? env.PRODGUARD_RUNTIME
      : pathToFileURL(
          isAbsolute(env.PRODGUARD_RUNTIME) ? env.PRODGUARD_RUNTIME : resolve(appDir, env.PRODGUARD_RUNTIME),
        ).href;
    return import(target);
  }
  try {
    return await import('prodguard/runtime');
  } catch (error) {
    const missing = error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes("'prodguard");
    if (!missing) throw error;
  }
  // A release unpacked from a git archive of the prodguard repository has prodguard's package.json but no
  // dist/ (it is not committed): skip such copies and keep looking up for a built checkout.
  const unbuilt = [];
  for (let dir = appDir; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && readName(manifest) === 'prodguard') {
      const entry = join(dir, 'dist', 'runtime', 'index.js');
      if (existsSync(entry)) return import(pathToFileURL(entry).href);
      unbuilt.push(dir);
    }
    if (dirname(dir) === dir) break;
  }
  const seen =
    unbuilt.length > 0
      ? ` (prodguard without a build found at ${unbuilt.join(', ')}: run "npm run build" there)`
      : '';
  throw new Error(
    `Cannot find prodguard/runtime${seen}: run "npm install prodguard", or set PRODGUARD_RUNTIME to the path of prodguard's dist/runtime/index.js`,
  );
}

function readName(manifest) {
  try {
    return JSON.parse(readFileSync(manifest, 'utf8')).name;
  } catch {
    return undefined;
  }
}
