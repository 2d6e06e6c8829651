import { describe, expect, it } from 'vitest';
import { maskValue, redactText, redactValue } from './redact.js';

describe('redaction', () => {
  it('masks connection-string passwords, key=value secrets, SQL passwords and private keys', () => {
    const text = [
      'connecting to postgresql://app:S3cr3t-pa55@db.internal:5432/app failed',
      'DATABASE_PASSWORD=hunter2hunter2 JWT_SECRET="abc.def.ghi"',
      "ALTER ROLE app PASSWORD 'n3w-p4ss''word'",
      '-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----',
    ].join('\n');
    const out = redactText(text);
    for (const secret of ['S3cr3t-pa55', 'hunter2hunter2', 'abc.def.ghi', "n3w-p4ss''word", 'MIIEow'])
      expect(out).not.toContain(secret);
    expect(out).toContain('postgresql://app:[redacted]@db.internal:5432/app');
    expect(out).toContain("PASSWORD '[redacted]'");
  });

  it('removes known secret values wherever they appear and masks secret-named keys deeply', () => {
    const value = { note: 'token is tok_123456789', nested: [{ password: 'x', port: 5432, apiKey: 'k' }] };
    expect(redactValue(value, ['tok_123456789'])).toEqual({
      note: 'token is [redacted]',
      nested: [{ password: '[redacted]', port: 5432, apiKey: '[redacted]' }],
    });
  });

  it('shows four characters of long values only', () => {
    expect(maskValue('ghp_aBcDeFgHiJkLmNoPqRsTuV')).toBe('ghp_…[hidden]');
    expect(maskValue('short-pass')).toBe('…[hidden]');
  });
});
