import { describe, expect, it } from 'vitest';
import { RULE_IDS } from '../../rules/index.js';
import { ConfigInvalidError } from '../errors.js';
import { parseConfigText } from '../load-config.js';
import { e2eCheckName, e2eEnvironments } from './tests.js';

const base = (tests: string) => `version: 1
project:
  name: api
${tests}
environments:
  local: {}
  staging:
    protected: true
  production:
    requires: staging
`;
const parse = (tests: string) => parseConfigText(base(tests), '/repo/prodguard.yaml', RULE_IDS);
function problemsOf(tests: string) {
  try {
    parse(tests);
  } catch (error) {
    if (error instanceof ConfigInvalidError) return error.problems.map((p) => `${p.path}: ${p.message}`);
    throw error;
  }
  throw new Error('expected the config to be rejected');
}

describe('tests: named suites and the E2E suite', () => {
  it('the old `tests.command` form is one suite named tests; no tests key is `npm test`', () => {
    expect(parse('tests:\n  command: npm run check\n  timeout: 5m').tests).toEqual({
      suites: [{ name: 'tests', command: 'npm run check', timeout: 300_000 }],
    });
    expect(parse('').tests).toEqual({ suites: [{ name: 'tests', command: 'npm test', timeout: 1_800_000 }] });
  });

  it('reads named suites and an E2E suite, which runs on the environments others require', () => {
    const config = parse(`tests:
  suites:
    - { name: unit, command: npm run test:unit }
    - { name: integration, command: npm run test:integration, timeout: 1h }
  e2e:
    command: npm run test:e2e`);
    expect(config.tests).toEqual({
      suites: [
        { name: 'unit', command: 'npm run test:unit', timeout: 1_800_000 },
        { name: 'integration', command: 'npm run test:integration', timeout: 3_600_000 },
      ],
      e2e: { name: 'e2e', command: 'npm run test:e2e', timeout: 900_000 },
    });
    expect(e2eEnvironments(config)).toEqual(['staging']);
    expect(e2eCheckName(config.tests.e2e!)).toBe('e2e:e2e');
    expect(e2eEnvironments(parse('tests:\n  command: x'))).toEqual([]);
    const listed = parse('tests:\n  e2e: { name: browser, command: x, environments: [local, staging] }');
    expect(e2eEnvironments(listed)).toEqual(['local', 'staging']);
  });

  it('refuses both forms at once, a name used twice, a bad name, and an unknown E2E environment', () => {
    expect(problemsOf('tests:\n  command: x\n  suites: [{ name: unit, command: y }]')).toEqual([
      'tests.command: Use either tests.command (one suite) or tests.suites (named suites), not both',
    ]);
    expect(problemsOf('tests:\n  suites: [{ name: unit, command: a }, { name: unit, command: b }]')).toEqual([
      'tests.suites: Suite name "unit" is used twice; each suite needs its own name',
    ]);
    expect(problemsOf('tests:\n  suites: [{ name: "Unit Tests", command: a }]')[0]).toMatch(
      /^tests\.suites\[0\]\.name: Expected a suite name/,
    );
    expect(problemsOf('tests:\n  suites: []')[0]).toMatch(/^tests\.suites: /);
    expect(problemsOf('tests:\n  e2e: { command: x, environments: [stage] }')).toEqual([
      'tests.e2e.environments[0]: Names environment "stage", which is not defined. Expected one of: local, staging, production',
    ]);
  });
});
