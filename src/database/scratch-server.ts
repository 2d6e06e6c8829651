import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isProdguardError, ProdguardError } from '../kernel/errors.js';
import { freePort } from '../kernel/free-port.js';
import { type EmbeddedCluster, startEmbeddedCluster } from '../kernel/load-embedded-postgres.js';
import { openPgSession, redactUrl, withDatabase } from './pg-session.js';

/** A throwaway database on a scratch server. */
export interface ScratchDatabase {
  readonly name: string;
  readonly url: string;
  drop(): Promise<void>;
}

/** Where drift detection, rollback verification and restores build their throwaway databases. */
export interface ScratchServer {
  /** Redacted description, for output. */
  readonly description: string;
  createDatabase(prefix?: string): Promise<ScratchDatabase>;
  close(): Promise<void>;
}

/** Scratch databases on a configured server (`database.shadowUrl`): created, then dropped. */
export function shadowScratchServer(shadowUrl: string): ScratchServer {
  return {
    description: redactUrl(shadowUrl),
    async createDatabase(prefix = 'prodguard_scratch') {
      const name = `${prefix}_${randomBytes(5).toString('hex')}`;
      const admin = await openPgSession(shadowUrl);
      try {
        await admin.exec(`CREATE DATABASE "${name}"`);
      } catch (cause) {
        throw new ProdguardError(
          'PRODGUARD_DB_SCRATCH',
          `Cannot create a scratch database on ${redactUrl(shadowUrl)}.`,
          { cause, hint: 'database.shadowUrl must name a role allowed to CREATE DATABASE.' },
        );
      } finally {
        await admin.close();
      }
      return {
        name,
        url: withDatabase(shadowUrl, name),
        async drop() {
          const session = await openPgSession(shadowUrl);
          try {
            await session.exec(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
          } finally {
            await session.close();
          }
        },
      };
    },
    async close() {},
  };
}

export interface EmbeddedScratchOptions {
  /** Folder for the cluster's data; a fresh temp folder when omitted. Removed on close. */
  baseDir?: string;
}

/**
 * An embedded PostgreSQL (the `embedded-postgres` package) started on demand on 127.0.0.1 and removed on
 * close, so drift and rollback checks work on a laptop with nothing installed.
 */
export async function startEmbeddedScratchServer(
  options: EmbeddedScratchOptions = {},
): Promise<ScratchServer> {
  const asRoot = process.getuid?.() === 0;
  let dir: string;
  if (options.baseDir && !asRoot) {
    mkdirSync(options.baseDir, { recursive: true });
    dir = mkdtempSync(join(options.baseDir, 'pg-'));
  } else {
    dir = mkdtempSync(join(tmpdir(), 'prodguard-scratch-pg-'));
  }
  let cluster: EmbeddedCluster;
  try {
    cluster = await startEmbeddedCluster({
      dir,
      port: await freePort(),
      password: randomBytes(18).toString('base64url'),
      settings: { fsync: 'off' },
    });
  } catch (cause) {
    rmSync(dir, { recursive: true, force: true });
    // Its own message already says which folder and how to fix it.
    if (isProdguardError(cause) && cause.code === 'PRODGUARD_DB_EMBEDDED_UNREACHABLE') throw cause;
    throw new ProdguardError(
      'PRODGUARD_DB_EMBEDDED',
      'Cannot start the embedded PostgreSQL for scratch databases.',
      {
        cause,
        hint: 'Set database.shadowUrl in prodguard.yaml to a server where prodguard may create databases.',
      },
    );
  }
  const serverUrl = cluster.url;
  const inner = shadowScratchServer(serverUrl);
  return {
    description: `embedded PostgreSQL on 127.0.0.1:${cluster.port}`,
    createDatabase: (prefix) => inner.createDatabase(prefix),
    async close() {
      await cluster.stop().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The configured shadow server, or an embedded one. */
export async function openScratchServer(
  shadowUrl: string | undefined,
  options: EmbeddedScratchOptions = {},
): Promise<ScratchServer> {
  return shadowUrl ? shadowScratchServer(shadowUrl) : startEmbeddedScratchServer(options);
}
