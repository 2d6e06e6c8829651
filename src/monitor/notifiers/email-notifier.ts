import nodemailer from 'nodemailer';
import { ProdguardError } from '../../kernel/errors.js';
import { redactText } from '../../kernel/redact.js';
import type { SecretRef } from '../monitor-settings.js';
import type { NotificationMessage, Notifier, SecretLookup } from './notification-message.js';

/** Email over SMTP (nodemailer). The password is looked up at send time and masked in any error. */
export function createEmailNotifier(options: {
  name: string;
  host: string;
  port: number;
  secure: boolean;
  user?: string;
  password?: SecretRef;
  from: string;
  to: readonly string[];
  severities: Notifier['severities'];
  timeoutMs: number;
  lookup: SecretLookup;
}): Notifier {
  return {
    name: options.name,
    kind: 'email',
    severities: options.severities,
    async send(message: NotificationMessage) {
      const pass = options.password ? await options.lookup(options.password) : undefined;
      const transport = nodemailer.createTransport({
        host: options.host,
        port: options.port,
        secure: options.secure,
        // Loopback relays in tests and dev speak plain SMTP; STARTTLS is still used when offered.
        ignoreTLS: false,
        tls: { rejectUnauthorized: options.host !== '127.0.0.1' && options.host !== 'localhost' },
        connectionTimeout: options.timeoutMs,
        greetingTimeout: options.timeoutMs,
        socketTimeout: options.timeoutMs,
        ...(options.user ? { auth: { user: options.user, pass: pass ?? '' } } : {}),
      });
      try {
        await transport.sendMail({
          from: options.from,
          to: [...options.to],
          subject: message.title,
          text: message.text,
          headers: { 'X-Prodguard-Notification': message.id },
        });
      } catch (cause) {
        const e = cause as { code?: string; responseCode?: number; message?: string };
        throw new ProdguardError(
          'PRODGUARD_MONITOR_DELIVERY_FAILED',
          `SMTP ${options.host}:${options.port} refused the mail: ${redactText(`${e.code ?? ''} ${e.responseCode ?? ''} ${e.message ?? ''}`.trim(), pass ? [pass] : [])}.`,
          { hint: 'Check the SMTP host, port, user and the password reference of this notifier.' },
        );
      } finally {
        transport.close();
      }
    },
  };
}
