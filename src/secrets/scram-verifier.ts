import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for a password, computed here as `psql \password` does, so
 * `ALTER ROLE ... PASSWORD` never carries the plaintext to the server (or to its statement log).
 * Passwords prodguard generates are ASCII, for which SASLprep is the identity.
 */
export function scramSha256Verifier(
  password: string,
  salt: Buffer = randomBytes(16),
  iterations = 4096,
): string {
  const salted = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** 32 random bytes, base64url: 256 bits, safe in a URL without escaping. */
export function generatePassword(): string {
  return randomBytes(32).toString('base64url');
}

/** 48 random bytes, base64url, for signing keys (JWT_SECRET). */
export function generateRandomSecret(): string {
  return randomBytes(48).toString('base64url');
}
