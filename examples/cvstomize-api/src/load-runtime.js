import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Finds `@prodguard/runtime`, in this order:
 * 1. `PRODGUARD_RUNTIME`: a path (or file: URL) to the runtime package's `dist/index.js`, for an app that
 *    lives outside any folder where the package is installed;
 * 2. the package `@prodguard/runtime`, resolved the usual Node way from the nearest `node_modules` up the
 *    tree: the app's own (`npm install @prodguard/runtime`), or the prodguard repository's (this example,
 *    and every release of it unpacked under the repository, such as `.prodguard/artifacts/<sha>/`).
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
    return await import('@prodguard/runtime');
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new Error(
      `Cannot load @prodguard/runtime (${error.message}): run "npm install @prodguard/runtime" in the app, "npm run build" in the prodguard repository, or set PRODGUARD_RUNTIME to the path of the package's dist/index.js`,
    );
  }
}
