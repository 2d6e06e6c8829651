import type { VerdictStatus } from '../rules/index.js';
import type { CliIo } from './io.js';

export interface Style {
  ok: (text: string) => string;
  bad: (text: string) => string;
  warn: (text: string) => string;
  dim: (text: string) => string;
  bold: (text: string) => string;
}

const paint = (code: number) => (text: string) => `\u001b[${code}m${text}\u001b[0m`;
const plain = (text: string) => text;

export function styleFor(io: CliIo, colorFlag: boolean | undefined): Style {
  const color = colorFlag !== false && io.stdoutIsTTY && !io.env.NO_COLOR && io.env.TERM !== 'dumb';
  if (!color) return { ok: plain, bad: plain, warn: plain, dim: plain, bold: plain };
  return { ok: paint(32), bad: paint(31), warn: paint(33), dim: paint(2), bold: paint(1) };
}

export const SYMBOL = Object.freeze({ pass: '✓', fail: '✗', warn: '!', skipped: '-', overridden: '⚑' });

/** The mark in front of a rule verdict, the same in every command. */
export function verdictSymbol(status: VerdictStatus, s: Style): string {
  switch (status) {
    case 'pass':
      return s.ok(SYMBOL.pass);
    case 'fail':
      return s.bad(SYMBOL.fail);
    case 'warn':
      return s.warn(SYMBOL.warn);
    case 'overridden':
      return s.warn(SYMBOL.overridden);
    default:
      return s.dim(SYMBOL.skipped);
  }
}

/** Fixed-width columns; the last column is never padded. */
export function renderTable(rows: readonly (readonly string[])[], headers?: readonly string[]): string {
  const all = headers ? [headers, ...rows] : rows;
  const widths: number[] = [];
  for (const row of all) {
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, visibleLength(cell));
  }
  return all
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat(widths[i]! - visibleLength(cell))))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function visibleLength(text: string): number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colors to measure width
  return [...text.replace(/\u001b\[[0-9;]*m/g, '')].length;
}

export function printJson(io: CliIo, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}
