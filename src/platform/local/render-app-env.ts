import { platformError } from './platform-errors.js';

const PLACEHOLDER = /\{([A-Za-z0-9_.-]+)\}/g;

/**
 * Renders `app.env` templates such as `DB_HOST: "{database.host}"` with the given values. Throws
 * PRODGUARD_PLATFORM_ENV_TEMPLATE naming every variable whose placeholder has no value.
 *
 * @example renderAppEnv({ DB_HOST: '{database.host}' }, { 'database.host': '10.0.0.5' }) // { DB_HOST: '10.0.0.5' }
 */
export function renderAppEnv(
  templates: Readonly<Record<string, string>>,
  values: Readonly<Record<string, string>>,
): Record<string, string> {
  const env: Record<string, string> = {};
  const missing: string[] = [];
  for (const [name, template] of Object.entries(templates)) {
    env[name] = template.replace(PLACEHOLDER, (whole, key: string) => {
      const value = values[key];
      if (value === undefined) {
        missing.push(`${name} needs {${key}}`);
        return whole;
      }
      return value;
    });
  }
  if (missing.length > 0) {
    throw platformError(
      'PRODGUARD_PLATFORM_ENV_TEMPLATE',
      `app.env placeholders without a value: ${missing.join(', ')}.`,
      {
        kind: 'usage',
        hint: `Known placeholders: ${Object.keys(values).sort().join(', ')}. Fix app.env in prodguard.yaml, or pass the variable in the revision's env.`,
      },
    );
  }
  return env;
}
