import type { NotificationMessage, Notifier } from './notification-message.js';

/** Writes notifications as lines to the given stream (the CLI passes stdout; the core never touches console). */
export function createConsoleNotifier(options: {
  name: string;
  severities: Notifier['severities'];
  write: (line: string) => void;
}): Notifier {
  return {
    name: options.name,
    kind: 'console',
    severities: options.severities,
    async send(message: NotificationMessage) {
      options.write(`[${message.environment}] ${message.title}\n${message.text.replace(/^/gm, '  ')}\n`);
    },
  };
}
