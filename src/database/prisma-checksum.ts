import { createHash } from 'node:crypto';

/** Prisma's checksum: lowercase hex SHA-256 of the migration script's bytes. */
export function prismaChecksum(script: string | Buffer): string {
  return createHash('sha256').update(script).digest('hex');
}

/**
 * True when the script matches a recorded checksum, as Prisma decides it: the exact bytes, or the same text
 * with line endings converted (a checkout on Windows turns LF into CRLF and must not count as an edit).
 */
export function checksumMatches(script: string, recorded: string): boolean {
  if (prismaChecksum(script) === recorded) return true;
  const lf = script.replace(/\r\n/g, '\n');
  if (prismaChecksum(lf) === recorded) return true;
  return prismaChecksum(lf.replace(/\n/g, '\r\n')) === recorded;
}
