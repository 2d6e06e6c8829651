import { ERROR_CODES, type ErrorArea } from '../../kernel/error-codes.js';

/** Where each area's codes come from, as shown in docs/errors.md. */
const AREA_TITLES: Record<ErrorArea, string> = {
  cli: 'Command line',
  config: 'Configuration',
  workspace: 'Project setup',
  store: 'State store',
  audit: 'Audit trail',
  rules: 'Rules and overrides',
  lock: 'Locks',
  freeze: 'Freezes',
  operations: 'Operations (resume, abort)',
  preflight: 'Preflight',
  guardedRun: 'prodguard run',
  deploy: 'Deploy, rollback, maintenance',
  platform: 'Platform (local agent)',
  database: 'Database (backups, restore, drift)',
  migrate: 'Migrations',
  lint: 'Migration lint',
  sql: 'SQL console',
  secrets: 'Secrets',
  monitor: 'Monitor (probes, alerts, silences, notifiers)',
  incident: 'Incidents',
  gcp: 'Google Cloud',
};

/** The generated part of docs/errors.md: every code of ERROR_CODES, one table per area. */
export function renderErrorCodes(): string {
  const sections = (Object.keys(ERROR_CODES) as ErrorArea[]).map((area) => {
    const rows = ERROR_CODES[area].map((code) => `- \`${code}\``);
    return `### ${AREA_TITLES[area]}\n\n${rows.join('\n')}`;
  });
  return `${sections.join('\n\n')}\n`;
}
