/**
 * Secret masking. Everything that leaves prodguard (logs, errors, audit events, --json, the dashboard)
 * passes through these functions, and the tests feed them real-looking credentials. The text and value
 * scrubbing lives in the runtime package (the app's logs use the same rules) and is re-exported here.
 */
export { isSecretKey, redactText, redactValue } from '@prodguard/runtime/redact';

/** `abcd…[hidden]` for long values, `…[hidden]` for short ones (4 visible chars of an 8-char password is too much). */
export function maskValue(value: string): string {
  if (value.length >= 16) return `${value.slice(0, 4)}…[hidden]`;
  return '…[hidden]';
}
