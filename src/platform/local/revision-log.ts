import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { redactText } from '../../kernel/redact.js';

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
  #secrets: string[] = [];

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

  /**
   * The secret values this revision was given: from now on every line is stored with them masked, whatever
   * form the app prints them in (bare, inside a URL, URL-encoded, one line of a multi-line key).
   */
  maskSecrets(values: readonly string[]): void {
    this.#secrets = secretForms(values);
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

  #line(stream: string, raw: string): void {
    const text = redactText(raw, this.#secrets);
    this.#stream.write(`${this.#now().toISOString()} ${stream.padEnd(3)} ${text}\n`);
    this.#tail.push(`${stream}: ${text}`);
    if (this.#tail.length > 20) this.#tail.shift();
  }
}

/** Each value, its URL-encoded form, the password of a URL and each long line of a multi-line value; longest first. */
export function secretForms(values: readonly string[]): string[] {
  const forms = new Set<string>();
  const add = (v: string) => {
    if (v.length < 4) return;
    forms.add(v);
    const encoded = encodeURIComponent(v);
    if (encoded !== v) forms.add(encoded);
  };
  for (const value of values) {
    add(value);
    if (value.includes('\n'))
      for (const line of value.split(/\r?\n/)) if (line.trim().length >= 8) add(line.trim());
    const url = URL.canParse(value) ? new URL(value) : undefined;
    if (url?.password) {
      forms.add(url.password);
      try {
        add(decodeURIComponent(url.password));
      } catch {
        // a malformed escape: the raw form is masked already
      }
    }
  }
  return [...forms].sort((a, b) => b.length - a.length);
}
