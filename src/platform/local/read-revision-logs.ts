import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Clock } from '../../kernel/clock.js';
import { redactText } from '../../kernel/redact.js';
import { revisionNotFound } from './platform-errors.js';

export interface LogLine {
  at: string;
  revision: string;
  stream: string;
  text: string;
}

export interface ReadRevisionLogsOptions {
  /** `<stateDir>/agent/logs` */
  logsDir: string;
  service: string;
  /** One revision; default every revision of the environment, interleaved by time. */
  revision?: string;
  since?: Date;
  /** Only the last n lines. */
  tail?: number;
}

/** `<ISO time> <stream padded to 3> <text>`, as RevisionLog writes them. */
const LINE = /^(\S+) (out|err|pg ) (.*)$/;

function logFiles(options: ReadRevisionLogsOptions): string[] {
  const dir = join(options.logsDir, options.service);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.log') && (!options.revision || f === `${options.revision}.log`))
    .map((f) => join(dir, f));
}

function parse(file: string, text: string, since: Date | undefined): LogLine[] {
  const revision = basename(file, '.log');
  const out: LogLine[] = [];
  for (const raw of text.split('\n')) {
    const match = LINE.exec(raw);
    if (!match) continue;
    if (since && match[1]! < since.toISOString()) continue;
    // Lines are masked when written (RevisionLog.maskSecrets); credential shapes are masked again on the way
    // out, for logs written before that and for values the revision was not given by prodguard.
    out.push({ at: match[1]!, revision, stream: match[2]!.trim(), text: redactText(match[3]!) });
  }
  return out;
}

/** Lines of an environment's revision logs, oldest first. An unknown `revision` is REVISION_NOT_FOUND. */
export function readRevisionLogs(options: ReadRevisionLogsOptions): LogLine[] {
  if (options.revision && !existsSync(join(options.logsDir, options.service, `${options.revision}.log`))) {
    throw revisionNotFound(options.service, options.revision);
  }
  const lines = logFiles(options).flatMap((file) => parse(file, readFileSync(file, 'utf8'), options.since));
  lines.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  return options.tail !== undefined ? lines.slice(Math.max(0, lines.length - options.tail)) : lines;
}

/** Calls onLines with new lines as the files grow (new revisions included) until the signal aborts. */
export async function followRevisionLogs(
  options: ReadRevisionLogsOptions & { clock: Clock; signal: AbortSignal; intervalMs?: number },
  onLines: (lines: LogLine[]) => void,
): Promise<void> {
  const offsets = new Map<string, number>();
  for (const file of logFiles(options)) offsets.set(file, statSync(file).size);
  while (!options.signal.aborted) {
    try {
      await options.clock.sleep(options.intervalMs ?? 250, options.signal);
    } catch {
      return;
    }
    const fresh: LogLine[] = [];
    for (const file of logFiles(options)) {
      const size = statSync(file).size;
      const from = offsets.get(file) ?? 0;
      if (size <= from) continue;
      const text = readFileSync(file).subarray(from, size).toString('utf8');
      const complete = text.lastIndexOf('\n') + 1;
      offsets.set(file, from + Buffer.byteLength(text.slice(0, complete)));
      fresh.push(...parse(file, text.slice(0, complete), undefined));
    }
    fresh.sort((a, b) => (a.at < b.at ? -1 : 1));
    if (fresh.length > 0) onLines(fresh);
  }
}
