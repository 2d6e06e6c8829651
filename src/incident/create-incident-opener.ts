import type { AlertRecord } from '../monitor/index.js';
import type { IncidentPorts, IncidentSettings } from './incident-ports.js';
import { IncidentStore } from './incident-store.js';
import { type OpenIncidentResult, openIncident } from './open-incident.js';

/**
 * The monitor's `onFiring` hook: an alert listed in `incident.autoOpen` opens an incident on its environment.
 * While one is already open there, the alert joins its timeline instead: one outage, one incident.
 */
export function createIncidentOpener(
  ports: IncidentPorts,
  settings: IncidentSettings,
  onOpened?: (result: OpenIncidentResult) => void,
): (alert: AlertRecord) => Promise<void> {
  return async (alert) => {
    const rule = settings.autoOpen.find(
      (a) => a.alert === alert.rule && a.environments.includes(alert.environment),
    );
    if (!rule) return;
    const store = new IncidentStore(ports.store);
    const open = store.list({ environment: alert.environment, openOnly: true })[0];
    if (open) {
      store.addEvent({
        incidentId: open.id,
        at: ports.clock.now().toISOString(),
        kind: 'alert',
        actor: 'prodguard',
        message: `${alert.rule} firing: ${alert.summary}`,
      });
      return;
    }
    const result = await openIncident(ports, settings, {
      environment: alert.environment,
      severity: rule.severity,
      title: `${alert.rule} on ${alert.environment}: ${alert.summary}`,
      actor: 'prodguard-monitor',
      source: 'alert',
      alertFingerprint: alert.fingerprint,
    });
    onOpened?.(result);
  };
}
