import type { SecretRef } from '../monitor-settings.js';
import type { NotificationMessage, Notifier, SecretLookup } from './notification-message.js';
import { postJson } from './post-json.js';

/** Slack-compatible incoming webhook (`{ text }`, mrkdwn). The URL embeds a token, so it is resolved as a secret and never printed. */
export function createSlackNotifier(options: {
  name: string;
  url: SecretRef | string;
  severities: Notifier['severities'];
  timeoutMs: number;
  lookup: SecretLookup;
}): Notifier {
  return {
    name: options.name,
    kind: 'slack',
    severities: options.severities,
    async send(message: NotificationMessage, signal?: AbortSignal) {
      const url = typeof options.url === 'string' ? options.url : await options.lookup(options.url);
      await postJson({
        url,
        body: JSON.stringify({ text: `*${message.title}*\n${message.text}` }),
        timeoutMs: options.timeoutMs,
        label: `slack notifier ${options.name}`,
        ...(signal ? { signal } : {}),
      });
    },
  };
}
