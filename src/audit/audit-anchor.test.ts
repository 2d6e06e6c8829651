import { describe, expect, it } from 'vitest';
import { parseAnchorDestination, parseAnchorRecords } from './anchor-destinations.js';
import { formatAuditAnchor, parseAuditAnchorLines, withAuditAnchor } from './audit-anchor.js';

const H = 'ab'.repeat(32);

describe('audit anchors', () => {
  it('formats the tag annotation line and parses it back from any text', () => {
    expect(formatAuditAnchor({ seq: 12, hash: H })).toBe(`audit-head: 12 ${H}`);
    const annotation = `production deploy of abc\n\nrevision: r7\n${formatAuditAnchor({ seq: 12, hash: H })}\n`;
    expect(parseAuditAnchorLines(annotation)).toEqual([{ seq: 12, hash: H }]);
    expect(parseAuditAnchorLines('audit-head: 12 nothex\naudit-head: x y')).toEqual([]);
  });

  it('adds the head to a --json result, and leaves it alone before the first event', () => {
    expect(withAuditAnchor({ ok: true }, { head: () => ({ seq: 3, hash: H }) })).toEqual({
      ok: true,
      audit: { seq: 3, hash: H },
    });
    expect(withAuditAnchor({ ok: true }, { head: () => undefined })).toEqual({ ok: true });
  });

  it('reads JSONL and JSON arrays, reporting lines that are not anchor records', () => {
    const jsonl = `{"seq":1,"hash":"${H}","at":"2026-03-01T10:00:00Z"}\nnot json\n{"seq":-1,"hash":"${H}"}\n\n`;
    expect(parseAnchorRecords(jsonl, 'file f')).toEqual({
      anchors: [{ seq: 1, hash: H, at: '2026-03-01T10:00:00Z', source: 'file f line 1', external: true }],
      problems: ['line 2 is not JSON', 'line 3 is not an anchor record {seq, hash}'],
    });
    expect(parseAnchorRecords(`[{"seq":2,"hash":"${H}"}]`, 'url u').anchors).toEqual([
      { seq: 2, hash: H, source: 'url u item 1', external: true },
    ]);
  });

  it('tells URLs from files, resolving files against the base folder', () => {
    expect(parseAnchorDestination('https://audit.example.com/anchors', '/repo')).toEqual({
      kind: 'url',
      url: 'https://audit.example.com/anchors',
    });
    expect(parseAnchorDestination('../anchors.jsonl', '/repo/app')).toEqual({
      kind: 'file',
      path: '/repo/anchors.jsonl',
    });
    expect(() => parseAnchorDestination(' ', '/repo')).toThrow(/An anchor destination is empty/);
  });
});
