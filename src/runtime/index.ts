/**
 * `prodguard/runtime`, kept for applications that imported it from here: the runtime is its own package,
 * `@prodguard/runtime` (only `pg`, as a peer dependency), and this module re-exports it.
 */
export * from '@prodguard/runtime';
