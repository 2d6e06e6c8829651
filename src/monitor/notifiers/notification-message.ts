import type { AlertSeverity } from '../monitor-settings.js';

/** What every notifier sends: a title and text for people, a JSON payload for machines. */
export interface NotificationMessage {
  /** Stable id: receivers deduplicate retried deliveries with it. */
  id: string;
  kind: 'alert' | 'notice';
  environment: string;
  severity: AlertSeverity;
  title: string;
  text: string;
  payload: Record<string, unknown>;
}

/** A channel. send() throws on failure; retries are the caller's job. */
export interface Notifier {
  readonly name: string;
  readonly kind: 'webhook' | 'slack' | 'email' | 'console';
  readonly severities: readonly AlertSeverity[];
  send(message: NotificationMessage, signal?: AbortSignal): Promise<void>;
}

/** Resolves a webhook secret, a Slack URL or an SMTP password from the environment or the vault. */
export type SecretLookup = (
  ref: { env: string } | { secret: string; environment?: string },
) => Promise<string>;
