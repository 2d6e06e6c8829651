import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  AUDIT_ACTION_DESCRIPTIONS,
  AUDIT_ACTIONS,
  isAuditAction,
  parseAuditAction,
} from './audit-actions.js';

const DOC = fileURLToPath(new URL('../../docs/audit.md', import.meta.url));
const START = '<!-- audit-actions:start (generated from src/audit/audit-actions.ts) -->';
const END = '<!-- audit-actions:end -->';

/** The table docs/audit.md carries; `PRODGUARD_UPDATE_DOCS=1 npx vitest run src/audit/audit-actions.test.ts` rewrites it. */
function renderActionTable(): string {
  return [
    '| Action | Recorded when |',
    '| --- | --- |',
    ...AUDIT_ACTIONS.map((a) => `| \`${a}\` | ${AUDIT_ACTION_DESCRIPTIONS[a]} |`),
  ].join('\n');
}

describe('audit actions', () => {
  it('follow one naming scheme: <domain>.<verb>, or a single pipeline verb', () => {
    for (const action of AUDIT_ACTIONS) expect(action).toMatch(/^[a-z]+(\.[a-z]+(-[a-z]+)*)?$/);
    expect(new Set(AUDIT_ACTIONS).size).toBe(AUDIT_ACTIONS.length);
  });

  it('refuse an unknown name built at run time', () => {
    expect(isAuditAction('freeze.on')).toBe(true);
    expect(isAuditAction('freeze:on')).toBe(false);
    expect(() => parseAuditAction('platform.stopped')).toThrow(/"platform.stopped" is not an audit action/);
  });

  it('are listed in docs/audit.md exactly as in the code', () => {
    const doc = readFileSync(DOC, 'utf8');
    const start = doc.indexOf(START);
    const end = doc.indexOf(END);
    expect(start, `docs/audit.md needs the ${START} marker`).toBeGreaterThan(-1);
    const current = doc.slice(start + START.length, end).trim();
    if (process.env.PRODGUARD_UPDATE_DOCS === '1' && current !== renderActionTable()) {
      writeFileSync(DOC, `${doc.slice(0, start + START.length)}\n${renderActionTable()}\n${doc.slice(end)}`);
      return;
    }
    expect(current, 'run PRODGUARD_UPDATE_DOCS=1 npx vitest run src/audit/audit-actions.test.ts').toBe(
      renderActionTable(),
    );
  });
});
