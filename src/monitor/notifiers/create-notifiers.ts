import type { Clock } from '../../kernel/clock.js';
import type { DeliverySettings, NotifierSettings } from '../monitor-settings.js';
import { createConsoleNotifier } from './console-notifier.js';
import { createEmailNotifier } from './email-notifier.js';
import type { Notifier, SecretLookup } from './notification-message.js';
import { createSlackNotifier } from './slack-notifier.js';
import { createWebhookNotifier } from './webhook-notifier.js';

/** Builds the configured notifiers; credentials are looked up at send time, never held in the settings. */
export function createNotifiers(
  settings: readonly NotifierSettings[],
  ports: { clock: Clock; lookup: SecretLookup; write: (line: string) => void; delivery: DeliverySettings },
): Notifier[] {
  const timeoutMs = ports.delivery.timeoutMs;
  return settings.map((n) => {
    switch (n.kind) {
      case 'webhook':
        return createWebhookNotifier({
          name: n.name,
          url: n.url,
          ...(n.secret ? { secret: n.secret } : {}),
          severities: n.severities,
          timeoutMs,
          clock: ports.clock,
          lookup: ports.lookup,
        });
      case 'slack':
        return createSlackNotifier({
          name: n.name,
          url: n.url,
          severities: n.severities,
          timeoutMs,
          lookup: ports.lookup,
        });
      case 'email':
        return createEmailNotifier({ ...n, timeoutMs, lookup: ports.lookup });
      case 'console':
        return createConsoleNotifier({ name: n.name, severities: n.severities, write: ports.write });
      default:
        throw new Error(`unknown notifier kind ${JSON.stringify(n satisfies never)}`);
    }
  });
}
