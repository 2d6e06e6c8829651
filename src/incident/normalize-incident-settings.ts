import { resolve } from 'node:path';
import type { Config } from '../config/index.js';
import type { IncidentSettings } from './incident-ports.js';

export function normalizeIncidentSettings(config: Config): IncidentSettings {
  const last = config.environmentOrder[config.environmentOrder.length - 1]!;
  return {
    freezeSeverity: config.incident.freezeSeverity,
    rollbackWindowMs: config.incident.rollbackWindow,
    productionEnvironments: [last],
    autoOpen: config.incident.autoOpen.map((a) => ({
      alert: a.alert,
      severity: a.severity,
      environments: a.environments ?? [last],
    })),
    postmortemDir: resolve(config.root, config.incident.postmortemDir),
  };
}
