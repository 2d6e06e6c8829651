import { UsageError } from '../kernel/errors.js';
import type { Config } from './load-config.js';

/**
 * The one check that an environment exists: every command naming an environment calls it, so an unknown name
 * always gives PRODGUARD_CONFIG_UNKNOWN_ENVIRONMENT with the known names (exit 2).
 *
 * @example
 * assertEnvironment(config, 'prod') // throws: Unknown environment "prod". Expected one of: local, staging, production …
 */
export function assertEnvironment(
  config: Pick<Config, 'environmentOrder'> & { readonly file?: string },
  environment: string,
): void {
  if (config.environmentOrder.includes(environment)) return;
  throw new UsageError(
    'PRODGUARD_CONFIG_UNKNOWN_ENVIRONMENT',
    `Unknown environment "${environment}"${config.file ? ` (in ${config.file})` : ''}.`,
    {
      hint: `Expected one of: ${config.environmentOrder.join(', ') || '(none)'}. Environments are the keys under \`environments:\` in prodguard.yaml.`,
      details: { environment, known: [...config.environmentOrder] },
    },
  );
}
