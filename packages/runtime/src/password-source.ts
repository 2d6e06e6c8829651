import { readFile } from 'node:fs/promises';

/**
 * A credential read at the moment a new connection authenticates. pg calls it for every new physical
 * connection, so a rotated secret (a re-mounted file, a re-fetched value) reaches new connections
 * without a restart, while `maxLifetimeSeconds` retires the ones opened with the old value.
 */
export type PasswordSource = () => string | Promise<string>;

/**
 * Re-reads the password from a file on every new connection (Kubernetes/Cloud Run secret volumes
 * update the file in place). A trailing newline is dropped, as `echo` and editors add one.
 *
 * @example
 * createPool({ host, user, database, password: passwordFromFile('/secrets/db-password') })
 */
export function passwordFromFile(path: string): PasswordSource {
  return async () => {
    const text = await readFile(path, 'utf8');
    return text.replace(/\r?\n$/, '');
  };
}

/**
 * Reads the password from an environment variable each time. Useful when something in-process
 * (a secrets client) refreshes `process.env`; a plain restart-less rotation needs `passwordFromFile`.
 */
export function passwordFromEnv(name: string, env: NodeJS.ProcessEnv = process.env): PasswordSource {
  return () => {
    const value = env[name];
    if (value === undefined)
      throw new Error(`The environment variable ${name} (database password) is not set`);
    return value;
  };
}
