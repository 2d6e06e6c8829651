/**
 * The Secret Manager secret id of a prodguard secret in an environment: `<environment>_<NAME>`
 * (ids allow [A-Za-z0-9_-]; prodguard names are [A-Z0-9_], environments [a-z0-9-]).
 */
export function secretIdFor(name: string, environment: string): string {
  return `${environment}_${name}`;
}

/** The inverse of secretIdFor, or undefined for a secret prodguard did not name. */
export function parseSecretId(id: string): { environment: string; name: string } | undefined {
  const m = /^([a-z][a-z0-9-]*)_([A-Z][A-Z0-9_]*)$/.exec(id);
  return m ? { environment: m[1]!, name: m[2]! } : undefined;
}
