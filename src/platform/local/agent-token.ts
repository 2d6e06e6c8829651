import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { makePrivateDir } from '../../kernel/private-dir.js';

/** Reads the agent's bearer token, creating it (0600, in a 0700 folder) on first use. */
export function ensureAgentToken(file: string): string {
  const existing = readAgentToken(file);
  if (existing) {
    chmodSync(file, 0o600);
    return existing;
  }
  makePrivateDir(dirname(file));
  const token = randomBytes(32).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return token;
}

export function readAgentToken(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  const token = readFileSync(file, 'utf8').trim();
  return token.length > 0 ? token : undefined;
}

/** Constant-time check of an `Authorization: Bearer …` header. */
export function isAuthorized(header: string | undefined, token: string): boolean {
  if (!header?.startsWith('Bearer ')) return false;
  const given = Buffer.from(header.slice('Bearer '.length).trim());
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
