import { ProdguardError } from '../../kernel/errors.js';
import { redactText } from '../../kernel/redact.js';

/** POSTs a JSON body; any non-2xx answer or network failure throws PRODGUARD_MONITOR_DELIVERY_FAILED. */
export async function postJson(options: {
  url: string;
  body: string;
  headers?: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Printed instead of the URL (a Slack URL is a credential). */
  label?: string;
}): Promise<void> {
  const label = options.label ?? redactText(options.url);
  const signals = [AbortSignal.timeout(options.timeoutMs), ...(options.signal ? [options.signal] : [])];
  let res: Response;
  try {
    res = await fetch(options.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'prodguard-monitor', ...options.headers },
      body: options.body,
      signal: AbortSignal.any(signals),
    });
  } catch (cause) {
    const e = cause as Error & { cause?: { code?: string } };
    throw new ProdguardError(
      'PRODGUARD_MONITOR_DELIVERY_FAILED',
      `POST ${label} failed: ${e.name === 'TimeoutError' ? `no answer within ${options.timeoutMs} ms` : (e.cause?.code ?? e.message)}.`,
      { hint: 'Check that the receiver is up and reachable from this machine.' },
    );
  }
  const text = await res.text();
  if (res.status < 200 || res.status > 299) {
    throw new ProdguardError(
      'PRODGUARD_MONITOR_DELIVERY_FAILED',
      `POST ${label} answered HTTP ${res.status}${text ? `: ${redactText(text.slice(0, 200))}` : ''}.`,
      {
        hint: 'The receiver refused the notification; it is retried with backoff and recorded as failed after the last attempt.',
      },
    );
  }
}
