import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../kernel/clock.js';
import { ProdguardError } from '../../kernel/errors.js';
import type { SecretRef } from '../monitor-settings.js';
import type { NotificationMessage, Notifier, SecretLookup } from './notification-message.js';
import { postJson } from './post-json.js';

export const SIGNATURE_HEADER = 'x-prodguard-signature';
export const TIMESTAMP_HEADER = 'x-prodguard-timestamp';

/** `sha256=<hex>` of HMAC-SHA256(secret, `<unix seconds>.<body>`), Stripe/Slack style: the timestamp is signed too. */
export function signWebhook(secret: string, timestampSeconds: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex')}`;
}

/**
 * What a receiver runs: the signature must match and the timestamp be within tolerance, so a captured
 * request cannot be replayed later.
 */
export function verifyWebhookSignature(input: {
  secret: string;
  body: string;
  signature: string | undefined;
  timestamp: string | undefined;
  nowMs: number;
  toleranceMs?: number;
}): { ok: true } | { ok: false; reason: 'missing' | 'stale' | 'mismatch' } {
  if (!input.signature || !input.timestamp || !/^\d+$/.test(input.timestamp))
    return { ok: false, reason: 'missing' };
  const ts = Number(input.timestamp);
  if (Math.abs(input.nowMs - ts * 1000) > (input.toleranceMs ?? 300_000))
    return { ok: false, reason: 'stale' };
  const expected = Buffer.from(signWebhook(input.secret, ts, input.body));
  const given = Buffer.from(input.signature);
  return expected.length === given.length && timingSafeEqual(expected, given)
    ? { ok: true }
    : { ok: false, reason: 'mismatch' };
}

/** Generic webhook: the message's JSON payload, HMAC-signed when a secret is configured. */
export function createWebhookNotifier(options: {
  name: string;
  url: string;
  secret?: SecretRef;
  severities: Notifier['severities'];
  timeoutMs: number;
  clock: Clock;
  lookup: SecretLookup;
}): Notifier {
  return {
    name: options.name,
    kind: 'webhook',
    severities: options.severities,
    async send(message: NotificationMessage, signal?: AbortSignal) {
      const body = JSON.stringify({
        id: message.id,
        kind: message.kind,
        environment: message.environment,
        severity: message.severity,
        title: message.title,
        text: message.text,
        ...message.payload,
      });
      const headers: Record<string, string> = {};
      if (options.secret) {
        const secret = await options.lookup(options.secret);
        if (!secret) {
          throw new ProdguardError(
            'PRODGUARD_MONITOR_SECRET_EMPTY',
            `The signing secret of notifier ${options.name} is empty.`,
            {
              hint: 'Set the referenced environment variable or secret to a random value of 32+ characters.',
            },
          );
        }
        const ts = Math.floor(options.clock.nowMs() / 1000);
        headers[TIMESTAMP_HEADER] = String(ts);
        headers[SIGNATURE_HEADER] = signWebhook(secret, ts, body);
      }
      await postJson({
        url: options.url,
        body,
        headers,
        timeoutMs: options.timeoutMs,
        ...(signal ? { signal } : {}),
      });
    },
  };
}
