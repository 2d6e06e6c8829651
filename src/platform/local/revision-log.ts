import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname, join } from 'node:path';

/** `<stateDir>/agent/logs/<service>/<revision>.log` */
export function revisionLogFile(logsDir: string, service: string, revision: string): string {
  return join(logsDir, service, `${revision}.log`);
}

/**
 * Appends a revision's output as `<ISO time> <out|err|pg > <text>` lines, so `prodguard logs --since`
 * can filter by time and interleave revisions; keeps the last lines in memory for failure messages.
 */
export class RevisionLog {
  readonly file: string;
  readonly #stream: WriteStream;
  readonly #now: () => Date;
  readonly #tail: string[] = [];
  readonly #partial: Record<string, string> = { out: '', err: '' };

  constructor(file: string, now: () => Date) {
    mkdirSync(dirname(file), { recursive: true });
    this.file = file;
    this.#now = now;
    this.#stream = createWriteStream(file, { flags: 'a' });
    this.#stream.on('error', () => {});
  }

  write(stream: 'out' | 'err' | 'pg', chunk: string): void {
    const text = (this.#partial[stream] ?? '') + chunk;
    const lines = text.split('\n');
    this.#partial[stream] = lines.pop() ?? '';
    for (const line of lines) this.#line(stream, line);
  }

  /** A line from prodguard itself (start, ready, crash, stop). */
  note(text: string): void {
    this.#line('pg', text);
  }

  tail(): string {
    return this.#tail.join('\n');
  }

  close(): void {
    for (const [stream, rest] of Object.entries(this.#partial)) {
      if (rest) this.#line(stream as 'out' | 'err', rest);
      this.#partial[stream] = '';
    }
    this.#stream.end();
  }

  #line(stream: string, text: string): void {
    this.#stream.write(`${this.#now().toISOString()} ${stream.padEnd(3)} ${text}\n`);
    this.#tail.push(`${stream}: ${text}`);
    if (this.#tail.length > 20) this.#tail.shift();
  }
}
