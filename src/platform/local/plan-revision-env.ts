import { platformError } from './platform-errors.js';
import { renderAppEnv } from './render-app-env.js';

const SECRET_PLACEHOLDER = /\{secret\.([A-Za-z0-9_]+)(?:\.([A-Za-z0-9_]+))?\}/g;

/**
 * The parts of a connection-URL secret an app may read one by one (`{secret.DATABASE_URL.password}`), so apps
 * configured with DB_HOST/DB_USER/DB_PASSWORD keep the postgres kind and alternating-user rotation: the user
 * changes with the password at each rotation, and both come from the same pinned version.
 */
export const SECRET_URL_PARTS = ['user', 'password', 'host', 'port', 'database'] as const;

export interface PlanRevisionEnvInput {
  environment: string;
  revision: string;
  commit: string;
  digest: string;
  /** The environment's router port and the revision's own URL. */
  port: number;
  url: string;
  /** `app.env` templates. */
  appEnv: Readonly<Record<string, string>>;
  /** `environments.<env>.platform.env`. */
  platformEnv: Readonly<Record<string, string>>;
  /** `environments.<env>.database.url` (no password): gives {database.host|port|name|user|url}. */
  databaseUrl?: string;
  /** The revision spec's env (wins over templates of the same name). */
  specEnv: Readonly<Record<string, string>>;
  /** Pinned secret name → the variable it is delivered as. */
  secrets: Readonly<Record<string, { version: number; envVar: string }>>;
  /** PATH-like basics inherited from the agent. */
  inherited: Readonly<Record<string, string>>;
}

export interface RevisionEnvPlan {
  /** Everything known before start. */
  env: Record<string, string>;
  /** Templates that use {secret.NAME}: rendered at each start, once the pinned values are resolved. */
  deferred: Record<string, string>;
  /** Values the deferred templates may use besides the secrets. */
  values: Record<string, string>;
}

/** Placeholders derived from a connection URL; the password never comes from here. */
export function databaseValues(url: string | undefined): Record<string, string> {
  if (!url) return {};
  try {
    const parsed = new URL(url);
    return {
      'database.url': url,
      'database.host': parsed.hostname,
      'database.port': parsed.port || '5432',
      'database.name': decodeURIComponent(parsed.pathname.replace(/^\//, '')),
      'database.user': decodeURIComponent(parsed.username),
    };
  } catch {
    return {};
  }
}

/**
 * A revision's environment, in order of precedence (later wins): inherited basics, the environment's
 * platform.env, rendered app.env, the spec's env, then PORT-independent prodguard variables. Templates
 * that need a secret are kept apart and rendered at start by `completeRevisionEnv`.
 */
export function planRevisionEnv(input: PlanRevisionEnvInput): RevisionEnvPlan {
  const values: Record<string, string> = {
    environment: input.environment,
    revision: input.revision,
    commit: input.commit,
    digest: input.digest,
    port: String(input.port),
    url: input.url,
    ...databaseValues(input.databaseUrl),
    ...input.specEnv,
  };
  const now: Record<string, string> = {};
  const deferred: Record<string, string> = {};
  const unpinned: string[] = [];
  const unknownParts: string[] = [];
  for (const [name, template] of Object.entries(input.appEnv)) {
    if (input.specEnv[name] !== undefined) continue;
    const uses = [...template.matchAll(SECRET_PLACEHOLDER)];
    if (uses.length === 0) now[name] = template;
    else {
      deferred[name] = template;
      for (const [whole, secret, part] of uses) {
        if (part !== undefined && !(SECRET_URL_PARTS as readonly string[]).includes(part))
          unknownParts.push(`${name}: ${whole}`);
        if (!input.secrets[secret!]) unpinned.push(`${name} needs {secret.${secret}}`);
      }
    }
  }
  if (unknownParts.length > 0) {
    throw platformError(
      'PRODGUARD_PLATFORM_ENV_TEMPLATE',
      `app.env asks for a part of a secret that does not exist: ${unknownParts.join(', ')}.`,
      {
        kind: 'usage',
        hint: `A connection-URL secret has the parts ${SECRET_URL_PARTS.join(', ')}, e.g. DB_PASSWORD: "{secret.DATABASE_URL.password}".`,
      },
    );
  }
  if (unpinned.length > 0) {
    throw platformError(
      'PRODGUARD_PLATFORM_ENV_TEMPLATE',
      `app.env uses secrets this revision does not pin: ${unpinned.join(', ')}.`,
      {
        kind: 'usage',
        hint: `Pin them for ${input.environment} (prodguard secrets pin), or remove the placeholder from app.env.`,
      },
    );
  }
  return {
    env: {
      ...input.inherited,
      ...input.platformEnv,
      ...renderAppEnv(now, values),
      ...input.specEnv,
      HOST: '127.0.0.1',
      PRODGUARD_ENVIRONMENT: input.environment,
      PRODGUARD_REVISION: input.revision,
      PRODGUARD_RELEASE_DIGEST: input.digest,
    },
    deferred,
    values,
  };
}

/** The variables added at start: each pinned secret under its envVar, then the deferred templates. */
export function completeRevisionEnv(
  plan: Pick<RevisionEnvPlan, 'deferred' | 'values'>,
  secrets: Readonly<Record<string, { version: number; envVar: string }>>,
  resolved: Readonly<Record<string, string>>,
): Record<string, string> {
  const secretValues: Record<string, string> = {};
  for (const [name, pin] of Object.entries(secrets)) {
    const value = resolved[pin.envVar];
    if (value === undefined) continue;
    secretValues[`secret.${name}`] = value;
    for (const [part, partValue] of Object.entries(secretUrlParts(value)))
      secretValues[`secret.${name}.${part}`] = partValue;
  }
  return { ...resolved, ...renderAppEnv(plan.deferred, { ...plan.values, ...secretValues }) };
}

/** A connection URL's parts, decoded; none when the value is not a URL with a host (a bare key has no parts). */
export function secretUrlParts(value: string): Partial<Record<(typeof SECRET_URL_PARTS)[number], string>> {
  if (!URL.canParse(value)) return {};
  const url = new URL(value);
  if (!url.hostname) return {};
  try {
    return {
      ...(url.username ? { user: decodeURIComponent(url.username) } : {}),
      ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
      host: url.hostname,
      port: url.port || '5432',
      database: decodeURIComponent(url.pathname.replace(/^\//, '')),
    };
  } catch {
    return {}; // a malformed %-escape: the template reports the part as missing, without the value
  }
}
