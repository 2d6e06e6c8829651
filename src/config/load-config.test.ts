import { describe, expect, it } from 'vitest';
import { RULE_IDS } from '../rules/index.js';
import { renderDefaultConfig } from './default-config.js';
import { ConfigInvalidError } from './errors.js';
import { parseConfigText } from './load-config.js';

const defaults = renderDefaultConfig({
  projectName: 'api',
  timezone: 'Europe/Berlin',
  productionBranch: 'main',
  testCommand: 'npm test',
});

function problemsOf(text: string) {
  try {
    parseConfigText(text, '/repo/prodguard.yaml', RULE_IDS);
  } catch (error) {
    if (error instanceof ConfigInvalidError) return error;
    throw error;
  }
  throw new Error('expected the config to be rejected');
}

describe('parseConfigText', () => {
  it('accepts the init defaults and fills every default', () => {
    const config = parseConfigText(defaults, '/repo/prodguard.yaml', RULE_IDS);
    expect(config.watch).toBe(600_000);
    expect(config.thresholds).toEqual({ errorRate: 0.05, latencyP95: 2000 });
    expect(config.secrets.rotation.postgres).toBe(90 * 86_400_000);
    expect(config.secrets.rotation.random).toBe(180 * 86_400_000);
    expect(config.freeze.weekdays).toEqual(['friday']);
    expect(config.coverage.groups.map((g) => g.minimum)).toEqual([100, 90, 85, 80]);
    expect(config.environmentOrder).toEqual(['local', 'staging', 'production']);
    expect(config.environments.production?.requires).toBe('staging');
    expect(config.environments.production?.branch).toBe('main');
    expect(config.stateDirPath).toBe('/repo/.prodguard');
  });

  it('reports three mistakes at once, each with line, column, path and what was expected', () => {
    const text = defaults
      .replace('watch: 10m', 'watch: ten minutes')
      .replace('  errorRate: 5%', '  errorRate: high')
      .replace('changelog: CHANGELOG.md', 'changelog: CHANGELOG.md\nchangelogg: typo.md');
    const error = problemsOf(text);
    expect(error.problems).toHaveLength(3);
    const lineOf = (needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
    expect(error.problems.map((p) => [p.path, p.line])).toEqual([
      ['changelogg', lineOf('changelogg:')],
      ['thresholds.errorRate', lineOf('errorRate: high')],
      ['watch', lineOf('watch: ten minutes')],
    ]);
    expect(error.message).toContain(
      `/repo/prodguard.yaml:${lineOf('watch: ten')}:8  watch: Expected a duration such as 500ms, 30s, 10m, 2h or 90d`,
    );
    expect(error.message).toContain('changelogg: Unknown key "changelogg"');
    expect(error.exitCode).toBe(2);
  });

  it('rejects unknown environments in requires, cycles, unknown rule ids and bad freeze windows', () => {
    const text = `version: 1
project: { name: api }
environments:
  staging: { requires: production }
  production: { requires: staging }
  qa: { requires: nowhere }
freeze:
  windows:
    - { from: 2026-12-24T00:00, to: 2026-12-20T00:00, reason: holidays }
    - { from: not-a-date, to: 2026-12-27T00:00, reason: x }
rules:
  no-friday-deploy: { severity: warn }
`;
    const error = problemsOf(text);
    const messages = error.problems.map((p) => `${p.line} ${p.path}: ${p.message}`);
    expect(messages).toEqual([
      '4 environments.staging.requires: "requires" forms a cycle starting at staging; the promotion chain must end.',
      '5 environments.production.requires: "requires" forms a cycle starting at production; the promotion chain must end.',
      '6 environments.qa.requires: Names environment "nowhere", which is not defined. Expected one of: staging, production, qa',
      '9 freeze.windows[0].to: Must be after "from"',
      '10 freeze.windows[1].from: "not-a-date" is not an ISO 8601 time. Expected e.g. 2026-12-24T00:00 (read in UTC) or 2026-12-24T00:00:00Z',
      `12 rules.no-friday-deploy: Unknown rule "no-friday-deploy". Expected one of: ${RULE_IDS.join(', ')}`,
    ]);
  });

  it('points YAML syntax errors at their line and reports missing required keys', () => {
    expect(problemsOf('version: 1\nproject: [unclosed\n').problems[0]?.message).toMatch(/^YAML syntax/);
    const missing = problemsOf('version: 1\nenvironments: { production: {} }\n');
    expect(missing.problems.map((p) => p.path)).toEqual(['project']);
    expect(missing.problems[0]?.message).toContain('Missing required key');
  });

  it('rejects a time zone that does not exist', () => {
    const error = problemsOf(defaults.replace('timezone: Europe/Berlin', 'timezone: Mars/Olympus'));
    expect(error.problems[0]).toMatchObject({ path: 'timezone', line: 5 });
  });

  it('an alias that names no anchor is a problem at its line and column, not a crash', () => {
    const error = problemsOf('version: 1\nproject:\n  name: *nope\nenvironments: { staging: {} }\n');
    expect(error.exitCode).toBe(2);
    expect(error.problems).toEqual([
      {
        path: 'project.name',
        message: 'Alias *nope names no anchor: define &nope before it (anchors must come first)',
        line: 3,
        column: 9,
      },
    ]);
    // An anchor defined after its alias does not count either (YAML resolves aliases in order).
    const late = problemsOf(
      'version: 1\nproject: { name: *n }\nenvironments: { staging: { branch: &n main } }\n',
    );
    expect(late.problems[0]).toMatchObject({ path: 'project.name', line: 2, column: 18 });
  });

  it('an alias bomb ("billion laughs") fails fast with the position of the anchor that multiplies', () => {
    const levels = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'];
    const lines = levels.map((name, i) =>
      i === 0
        ? `${name}: &${name} [lol, lol, lol, lol, lol, lol, lol, lol, lol]`
        : `${name}: &${name} [${Array(9)
            .fill(`*${levels[i - 1]}`)
            .join(', ')}]`,
    );
    const text = `version: 1\nproject: { name: api }\nenvironments: { staging: {} }\nx-bomb:\n${lines.map((l) => `  ${l}`).join('\n')}\n`;
    const started = performance.now();
    const error = problemsOf(text);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(error.exitCode).toBe(2);
    expect(error.problems).toHaveLength(1);
    const problem = error.problems[0]!;
    // &h is aliased 9 times by i, and each copy holds 9 aliases of &g, and so on down: it multiplies most.
    expect(problem).toMatchObject({ path: 'x-bomb.i[0]', line: 13, column: 10 });
    expect(problem.message).toMatch(/^Aliases of &h expand to \d+ copies; at most 100 are allowed/);
    expect(error.message).toContain('/repo/prodguard.yaml:13:10  x-bomb.i[0]: Aliases of &h expand to');
  });

  it('an anchor aliased more than 100 times is refused too', () => {
    const many = Array.from({ length: 101 }, (_, i) => `  - { name: e${i}, settings: *s }`).join('\n');
    const error = problemsOf(
      `version: 1\nproject: { name: api }\nx-defaults: &s { a: 1 }\nx-list:\n${many}\n`,
    );
    expect(error.problems[0]).toMatchObject({ path: 'x-list[0].settings', line: 5 });
    expect(error.problems[0]!.message).toContain('Aliases of &s expand to 101 copies');
  });

  it('valid anchors and aliases still work', () => {
    const text = `version: 1
project: { name: api }
environments:
  staging:
    health: &health { url: https://api.example.com/health, timeout: 3s }
  production:
    requires: staging
    health: *health
`;
    const config = parseConfigText(text, '/repo/prodguard.yaml', RULE_IDS);
    expect(config.environments.production?.health).toEqual({
      url: 'https://api.example.com/health',
      timeout: 3000,
    });
    expect(config.environments.production?.health).toEqual(config.environments.staging?.health);
  });

  it('bounds every duration: a zero interval or a watch of 10^20 days is refused with the allowed range', () => {
    const text = `${defaults.replace('watch: 10m', 'watch: 99999999999999999999d')}deploy:
  analysis:
    interval: 0ms
    window: 0.5s
  lockWait: 2h
`;
    const error = problemsOf(text);
    const lineOf = (needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
    expect(error.exitCode).toBe(2);
    expect(error.problems).toEqual([
      {
        path: 'watch',
        message: 'Expected a duration from 1s to 24h, got 99999999999999999999d',
        line: lineOf('watch: 9999'),
        column: 8,
      },
      {
        path: 'deploy.analysis.interval',
        message: 'Expected a duration from 100ms to 1m, got 0ms',
        line: lineOf('interval: 0ms'),
        column: 15,
      },
      {
        path: 'deploy.analysis.window',
        message: 'Expected a duration from 1s to 1h, got 0.5s',
        line: lineOf('window: 0.5s'),
        column: 13,
      },
      {
        path: 'deploy.lockWait',
        message: 'Expected a duration from 0s to 1h, got 2h',
        line: lineOf('lockWait'),
        column: 13,
      },
    ]);
    expect(error.message).toContain(
      `/repo/prodguard.yaml:${lineOf('interval: 0ms')}:15  deploy.analysis.interval: Expected a duration from 100ms to 1m, got 0ms`,
    );
  });

  it('accepts durations at the edges of their ranges', () => {
    const config = parseConfigText(
      `${defaults.replace('watch: 10m', 'watch: 24h')}deploy:\n  analysis:\n    interval: 100ms\n  lockWait: 0s\n`,
      '/repo/prodguard.yaml',
      RULE_IDS,
    );
    expect(config.watch).toBe(86_400_000);
    expect(config.deploy.analysis.interval).toBe(100);
    expect(config.deploy.lockWait).toBe(0);
  });

  it('an analysis window shorter than its interval, or a retry interval over its timeout, is refused', () => {
    const text = `version: 1
project: { name: api }
environments: { staging: {} }
deploy:
  analysis: { interval: 30s, window: 10s }
secrets:
  propagationInterval: 1m
  propagationTimeout: 30s
`;
    const messages = problemsOf(text).problems.map((p) => `${p.path}: ${p.message}`);
    expect(messages).toEqual([
      'deploy.analysis.window: Must be at least deploy.analysis.interval (30s), got 10s: each sample covers one window, so a shorter one leaves requests between samples uncounted',
      'secrets.propagationTimeout: Must be at least secrets.propagationInterval (1m), got 30s: a rotation retries its login every interval until the timeout',
    ]);
  });
});
