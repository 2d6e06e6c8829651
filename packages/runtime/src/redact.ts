/**
 * Credential masking for log lines and error text. The runtime's logs use it, and prodguard's kernel
 * re-exports it, so the tool and the app mask with the same rules.
 */

const SECRET_KEY = /(pass(word|wd)?|secret|token|api[-_]?key|private[-_]?key|credential|auth(orization)?$)/i;

const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:/@]+):([^\s@/]+)@/gi;
const KEY_VALUE =
  /\b((?:[A-Z0-9_]*(?:PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|PRIVATE_KEY))|password|passwd|secret|token|api_key|apikey)(\s*[=:]\s*)(['"]?)([^\s'"&;,]{6,})\3/gi;
const PRIVATE_KEY_BLOCK = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g;
const SQL_PASSWORD = /(\bPASSWORD\s+)('(?:[^']|'')*')/gi;

/** Masks credentials inside free text; `known` are exact secret values to remove wherever they appear. */
export function redactText(text: string, known: readonly string[] = []): string {
  let out = text;
  for (const secret of known) {
    if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  return out
    .replace(PRIVATE_KEY_BLOCK, '[redacted private key]')
    .replace(URL_CREDENTIALS, (_m, scheme: string, user: string) => `${scheme}${user}:[redacted]@`)
    .replace(SQL_PASSWORD, (_m, kw: string) => `${kw}'[redacted]'`)
    .replace(
      KEY_VALUE,
      (_m, key: string, sep: string, quote: string) => `${key}${sep}${quote}[redacted]${quote}`,
    );
}

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** Deep copy with secret-looking keys replaced and every string scrubbed. */
export function redactValue<T>(value: T, known: readonly string[] = []): T {
  return redactInner(value, known, 0) as T;
}

function redactInner(value: unknown, known: readonly string[], depth: number): unknown {
  if (depth > 20) return '[too deep]';
  if (typeof value === 'string') return redactText(value, known);
  if (Array.isArray(value)) return value.map((v) => redactInner(v, known, depth + 1));
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      out[key] =
        isSecretKey(key) && v !== null && v !== undefined && typeof v !== 'boolean' && typeof v !== 'number'
          ? '[redacted]'
          : redactInner(v, known, depth + 1);
    }
    return out;
  }
  return value;
}
