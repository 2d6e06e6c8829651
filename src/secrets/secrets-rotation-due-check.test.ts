import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../config/index.js';
import { ManualClock } from '../kernel/clock.js';
import { RULE_IDS } from '../rules/golden-rules.js';
import { evaluateRules } from '../rules/rule-engine.js';
import { StateStore } from '../store/state-store.js';
import { LocalSecretVault } from './local-secret-vault.js';
import { masterKeyId } from './master-key.js';
import { SecretPins } from './secret-pins.js';
import { secretsRotationDueCheck } from './secrets-rotation-due-check.js';

const DAY = 86_400_000;

describe('secrets-rotation-due check', () => {
  let dir: string;
  const stores: StateStore[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'prodguard-due-'));
  });
  afterEach(() => {
    for (const store of stores.splice(0)) store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function verdictAt(days: number, severity?: 'block' | 'warn') {
    const config = parseConfigText(
      `version: 1\nproject: { name: app }\nenvironments:\n  production: { protected: true }\n${severity ? `rules:\n  secrets-rotation-due: { severity: ${severity} }\n` : ''}`,
      join(dir, 'prodguard.yaml'),
      RULE_IDS,
    );
    const store = StateStore.open(join(dir, `state-${days}-${severity ?? 'default'}.db`));
    stores.push(store);
    const clock = new ManualClock('2026-01-01T00:00:00Z');
    const bytes = randomBytes(32);
    const vault = LocalSecretVault.open(store, { id: masterKeyId(bytes), bytes, source: 'env' }, clock);
    const ref = { name: 'DATABASE_URL', environment: 'production' };
    await vault.addVersion(ref, 'postgresql://app_a:pw-abcdefgh@db/app', { actor: 'a@x', kind: 'postgres' });
    const pins = new SecretPins(store, clock);
    pins.set(ref, 1, 'a@x');
    clock.advance(days * DAY);
    const check = secretsRotationDueCheck({ vault, pins, clock, config, store });
    const evaluation = await evaluateRules({
      config,
      action: 'deploy',
      environment: 'production',
      checks: [check],
      context: { environment: 'production' },
      clock,
      only: ['secrets-rotation-due'],
    });
    return evaluation.verdicts[0]!;
  }

  it('passes within the period, warns when overdue, blocks way overdue (a warn-only rule setting downgrades that)', async () => {
    expect((await verdictAt(30)).status).toBe('pass');
    const overdue = await verdictAt(100);
    expect(overdue.status).toBe('warn');
    expect(overdue.message).toMatch(/^overdue for rotation: DATABASE_URL \(100d old, due 2026-04-01\)/);
    expect((await verdictAt(131)).status).toBe('fail');
    expect((await verdictAt(131, 'warn')).status).toBe('warn');
    expect((await verdictAt(100, 'block')).status).toBe('warn');
  });
});
