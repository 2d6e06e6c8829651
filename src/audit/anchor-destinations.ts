import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ProdguardError } from '../kernel/errors.js';
import type { ProcessRunner } from '../kernel/process-runner.js';
import { type AuditAnchor, parseAuditAnchorLines } from './audit-anchor.js';
import type { AuditHead } from './audit-event.js';

/** A place outside the state store that keeps audit heads: an append-only JSONL file, or an HTTP endpoint. */
export type AnchorDestination = { kind: 'file'; path: string } | { kind: 'url'; url: string };

/** What one anchor record holds, as written to a file line or a POST body. */
export interface AnchorRecord extends AuditHead {
  at: string;
  project: string;
}

/** Anchors read from one source, or why that source could not be read. */
export type AnchorSourceRead =
  | { source: string; anchors: AuditAnchor[]; problems: string[] }
  | { source: string; error: string };

const ANCHOR_TIMEOUT_MS = 10_000;

/** `https://…`/`http://…` is a URL; anything else is a file path, relative to `baseDir`. */
export function parseAnchorDestination(value: string, baseDir: string): AnchorDestination {
  if (/^https?:\/\//i.test(value)) {
    if (!URL.canParse(value)) {
      throw new ProdguardError(
        'PRODGUARD_AUDIT_ANCHOR_DESTINATION',
        `Anchor destination "${value}" is not a URL.`,
        {
          kind: 'usage',
          hint: 'Give an http(s) URL that accepts a JSON POST, or a file path.',
        },
      );
    }
    return { kind: 'url', url: value };
  }
  if (value.trim() === '') {
    throw new ProdguardError('PRODGUARD_AUDIT_ANCHOR_DESTINATION', 'An anchor destination is empty.', {
      kind: 'usage',
      hint: 'Give a file path (an append-only JSONL file outside the state directory) or an http(s) URL.',
    });
  }
  return { kind: 'file', path: isAbsolute(value) ? value : resolve(baseDir, value) };
}

export function describeDestination(destination: AnchorDestination): string {
  return destination.kind === 'file' ? `file ${destination.path}` : `url ${destination.url}`;
}

/** Appends one line to the file, or POSTs the record as JSON (a 2xx answer is required). */
export async function writeAnchor(destination: AnchorDestination, record: AnchorRecord): Promise<void> {
  if (destination.kind === 'file') {
    mkdirSync(dirname(destination.path), { recursive: true });
    appendFileSync(destination.path, `${JSON.stringify(record)}\n`, { mode: 0o600 });
    return;
  }
  const response = await fetch(destination.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(record),
    signal: AbortSignal.timeout(ANCHOR_TIMEOUT_MS),
    redirect: 'error',
  });
  await response.body?.cancel();
  if (!response.ok) throw new Error(`${destination.url} answered ${response.status} ${response.statusText}`);
}

/**
 * Reads the anchors a destination holds. A file is read line by line; a URL is read with GET, which must
 * answer the records it was sent (a JSON array, or one JSON object per line). Lines that are not anchor
 * records are reported as problems, and the rest still count.
 */
export async function readAnchorDestination(destination: AnchorDestination): Promise<AnchorSourceRead> {
  const source = describeDestination(destination);
  let text: string;
  try {
    if (destination.kind === 'file') text = readFileSync(destination.path, 'utf8');
    else {
      const response = await fetch(destination.url, {
        headers: { accept: 'application/x-ndjson, application/json' },
        signal: AbortSignal.timeout(ANCHOR_TIMEOUT_MS),
        redirect: 'error',
      });
      text = await response.text();
      if (!response.ok) throw new Error(`GET answered ${response.status} ${response.statusText}`);
    }
  } catch (error) {
    return { source, error: error instanceof Error ? error.message : String(error) };
  }
  return { source, ...parseAnchorRecords(text, source) };
}

/** Parses a JSON array of records, or JSONL; reports each line that is not a record. */
export function parseAnchorRecords(
  text: string,
  source: string,
): { anchors: AuditAnchor[]; problems: string[] } {
  const anchors: AuditAnchor[] = [];
  const problems: string[] = [];
  const trimmed = text.trim();
  let entries: { value: unknown; where: string }[];
  if (trimmed.startsWith('[')) {
    try {
      entries = (JSON.parse(trimmed) as unknown[]).map((value, i) => ({ value, where: `item ${i + 1}` }));
    } catch {
      return { anchors, problems: ['not valid JSON'] };
    }
  } else {
    entries = [];
    for (const [i, line] of text.split('\n').entries()) {
      if (line.trim() === '') continue;
      try {
        entries.push({ value: JSON.parse(line), where: `line ${i + 1}` });
      } catch {
        problems.push(`line ${i + 1} is not JSON`);
      }
    }
  }
  for (const { value, where } of entries) {
    const record = value as Partial<AnchorRecord> | null;
    if (
      record &&
      typeof record === 'object' &&
      Number.isInteger(record.seq) &&
      (record.seq ?? 0) >= 0 &&
      typeof record.hash === 'string' &&
      /^[0-9a-f]{64}$/.test(record.hash)
    ) {
      anchors.push({
        seq: record.seq!,
        hash: record.hash,
        source: `${source} ${where}`,
        external: true,
        ...(typeof record.at === 'string' ? { at: record.at } : {}),
      });
    } else problems.push(`${where} is not an anchor record {seq, hash}`);
  }
  return { anchors, problems };
}

/**
 * The anchors in the project's annotated tags: `audit-head: <seq> <hash>` lines in their annotation (rollback
 * tags carry one). Lightweight tags have no annotation and are skipped.
 */
export async function readAnchorsFromGit(
  root: string,
  processes: Pick<ProcessRunner, 'run'>,
): Promise<AnchorSourceRead> {
  const source = `git tags in ${root}`;
  const result = await processes.run(
    'git',
    ['for-each-ref', 'refs/tags', '--format=%(objecttype) %(refname:short)%0a%(contents)%00'],
    { cwd: root, timeoutMs: 30_000, maxBuffer: 64 * 1024 * 1024 },
  );
  if (result.failed) {
    return {
      source,
      error: (result.spawnError ?? result.stderr.trim()) || `git exited with ${result.exitCode}`,
    };
  }
  const anchors: AuditAnchor[] = [];
  for (const record of result.stdout.split('\0')) {
    const newline = record.indexOf('\n');
    const [type, name] = record.slice(0, newline).trim().split(' ');
    if (type !== 'tag' || !name) continue;
    for (const head of parseAuditAnchorLines(record.slice(newline + 1))) {
      anchors.push({ ...head, source: `git tag ${name}`, external: true });
    }
  }
  return { source, anchors, problems: [] };
}
