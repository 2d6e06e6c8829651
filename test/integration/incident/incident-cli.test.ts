import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../src/kernel/free-port.js';
import { runProdguard } from '../../helpers/cli.js';
import { createTempRepo, type TempRepo } from '../../helpers/git-repo.js';

// Runs the real CLI from dist/ (npm test builds first). No agent runs here: the snapshot must say so.
describe('prodguard incident / alerts / silence (real CLI)', () => {
  let repo: TempRepo;
  const cli = (...args: string[]) => runProdguard(args, { cwd: repo.dir });
  const json = async (...args: string[]) => {
    const r = await cli(...args, '--json');
    return { ...r, body: JSON.parse(r.stdout) as Record<string, unknown> };
  };

  beforeAll(async () => {
    repo = await createTempRepo({
      '.gitignore': '.prodguard/\n',
      'prodguard.yaml': `version: 1
project: { name: api }
app: { agentPort: ${await freePort()} }
environments:
  staging: {}
  production: { requires: staging }
`,
    });
  });
  afterAll(() => repo.cleanup());

  it('opens, notes, mitigates, lists, shows and resolves an incident, all audited', async () => {
    const opened = await json('incident', 'open', '--sev', '2', 'checkout answers 503');
    expect(opened.exitCode).toBe(0);
    const incident = opened.body.incident as { id: number; environment: string; freezesDeploys: boolean };
    expect(incident).toMatchObject({ id: 1, environment: 'production', freezesDeploys: true });
    const steps = opened.body.steps as { name: string; status: string; detail: string }[];
    expect(steps.map((s) => [s.name, s.status])).toEqual([
      ['record', 'Success'],
      ['snapshot', 'Success'],
      ['rollback', 'NotExecuted'],
    ]);
    expect(steps[1]!.detail).toMatch(/with gaps: platform: /);
    expect(steps[2]!.detail).toBe('no revision serves production');

    expect((await cli('incident', 'note', '1', 'restarted the pool')).exitCode).toBe(0);
    expect((await json('incident', 'status', '1', 'mitigated')).body.incident).toMatchObject({
      status: 'mitigated',
    });
    const list = await json('incident', 'list', '--open');
    expect((list.body.incidents as unknown[]).length).toBe(1);
    const show = await json('incident', 'show', '1');
    expect((show.body.timeline as { kind: string }[]).map((t) => t.kind)).toEqual([
      'opened',
      'snapshot',
      'note',
      'status',
    ]);

    const human = await cli(
      'incident',
      'resolve',
      '1',
      '--root-cause',
      'pool size too small for the new worker count',
    );
    expect(human.exitCode).toBe(0);
    expect(human.stdout).toContain('Incident #1 resolved; deploys to production are open again.');
    const path = /postmortem: (.+\.md)/.exec(human.stdout)![1]!;
    expect(existsSync(path)).toBe(true);
    expect(readFileSync(path, 'utf8')).toContain('# Postmortem: incident #1: checkout answers 503');

    const audit = await json('audit', 'log');
    const actions = (audit.body.events as { action: string }[]).map((e) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining(['incident.open', 'incident.note', 'incident.status', 'incident.resolve']),
    );
  });

  it('refuses bad input with a stable code and a hint', async () => {
    const bad = await json('incident', 'open', '--sev', '7', 'x');
    expect(bad.exitCode).toBe(2);
    expect(bad.body).toMatchObject({ error: { code: 'PRODGUARD_INCIDENT_SEVERITY' } });
    const gone = await json('incident', 'note', '99', 'hello');
    expect(gone.body).toMatchObject({ error: { code: 'PRODGUARD_INCIDENT_NOT_FOUND' } });
    const matcher = await json('silence', 'add', 'env', '--reason', 'x');
    expect(matcher.body).toMatchObject({ error: { code: 'PRODGUARD_MONITOR_MATCHER_INVALID' } });
  });

  it('silences are added, listed and expired (audited); alerts is empty and exits 0', async () => {
    const added = await json(
      'silence',
      'add',
      'env=production',
      'alertname=~slo-.*',
      '--duration',
      '1h',
      '--reason',
      'load test',
    );
    expect(added.exitCode).toBe(0);
    const id = (added.body.silence as { id: string }).id;
    const listed = await json('silence', 'list');
    expect(listed.body.silences).toMatchObject([{ id, reason: 'load test', active: true }]);
    expect((await cli('silence', 'expire', id)).exitCode).toBe(0);
    expect((await json('silence', 'list')).body.silences).toEqual([]);
    const alerts = await json('alerts');
    expect(alerts.exitCode).toBe(0);
    expect(alerts.body).toMatchObject({ alerts: [], failedDeliveries: [] });
    const audit = await json('audit', 'log');
    expect((audit.body.events as { action: string }[]).map((e) => e.action)).toEqual(
      expect.arrayContaining(['silence.create', 'silence.expire']),
    );
  });
});
