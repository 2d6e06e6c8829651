import { createHash } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';

const ISSUER = 'cvstomize-api';

function keyFor(secret) {
  return {
    kid: createHash('sha256').update(secret).digest('hex').slice(0, 12),
    key: new TextEncoder().encode(secret),
  };
}

/**
 * HS256 tokens with key rotation: new tokens are signed with `JWT_SECRET`; tokens signed with
 * `JWT_SECRET_PREVIOUS` still verify until they expire, so rotating the key logs nobody out.
 * The `kid` header (a hash prefix, never the key) picks the key.
 */
export function createTokens({ secret, previous, ttlSeconds }) {
  const current = keyFor(secret);
  const keys = [current, ...(previous ? [keyFor(previous)] : [])];
  return {
    async sign(user) {
      return new SignJWT({ email: user.email })
        .setProtectedHeader({ alg: 'HS256', kid: current.kid, typ: 'JWT' })
        .setSubject(user.id)
        .setIssuer(ISSUER)
        .setIssuedAt()
        .setExpirationTime(`${ttlSeconds}s`)
        .sign(current.key);
    },
    /** The token's claims, or undefined when no current key verifies it. */
    async verify(token) {
      for (const { key } of keys) {
        try {
          const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], issuer: ISSUER });
          return payload;
        } catch (error) {
          if (error instanceof joseErrors.JWSSignatureVerificationFailed) continue;
          return undefined;
        }
      }
      return undefined;
    },
  };
}
