import { describe, expect, it } from 'vitest';
import { pairOverrides } from './shared.js';

const args = (line: string[]) => ['migrate', 'deploy', 'production', ...line];

describe('pairOverrides: one reason per override', () => {
  it('gives each --override the --reason right after it, and the rest to the command', () => {
    expect(
      pairOverrides(
        args(['--override', 'migration-lint', '--reason', 'A', '--no-rollback', '--reason', 'B']),
      ),
    ).toEqual({ overrides: [{ ruleId: 'migration-lint', reason: 'A' }], reason: 'B' });
  });

  it('reads --override rule="reason" inline', () => {
    expect(
      pairOverrides(
        args([
          '--override',
          'migration-lint=checked by hand',
          '--override=staging-first=INC-7',
          '--reason',
          'B',
        ]),
      ),
    ).toEqual({
      overrides: [
        { ruleId: 'migration-lint', reason: 'checked by hand' },
        { ruleId: 'staging-first', reason: 'INC-7' },
      ],
      reason: 'B',
    });
  });

  it('keeps the older form: one --reason for every override', () => {
    expect(pairOverrides(args(['--override', 'a', '--override', 'b', '--reason', 'R']))).toEqual({
      overrides: [
        { ruleId: 'a', reason: 'R' },
        { ruleId: 'b', reason: 'R' },
      ],
      reason: 'R',
    });
    expect(pairOverrides(args(['--reason=R', '--override', 'a']))).toEqual({
      overrides: [{ ruleId: 'a', reason: 'R' }],
      reason: 'R',
    });
  });

  it('refuses to guess when reasons cannot be paired', () => {
    const two = () =>
      pairOverrides(args(['--override', 'a', '--override', 'b', '--reason', 'A', '--reason', 'B']));
    expect(two).toThrow(expect.objectContaining({ code: 'PRODGUARD_OVERRIDE_REASON_AMBIGUOUS' }));
    const ownTwice = () => pairOverrides(args(['--reason', 'A', '--no-rollback', '--reason', 'B']));
    expect(ownTwice).toThrow(expect.objectContaining({ code: 'PRODGUARD_OVERRIDE_REASON_AMBIGUOUS' }));
    expect(() => pairOverrides(args(['--override', 'a']))).toThrow(
      expect.objectContaining({ code: 'PRODGUARD_OVERRIDE_REASON_MISSING' }),
    );
  });

  it('stops at -- (the words of the command run)', () => {
    expect(pairOverrides(['run', 'production', '--', 'deploy.sh', '--override', 'x'])).toEqual({
      overrides: [],
    });
  });
});
