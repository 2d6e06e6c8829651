import { cpSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashAuditEvent } from '../../../src/audit/audit-hash.js';
import type { AuditRow } from '../../../src/audit/audit-log.js';
import type { AuditEvent } from '../../../src/audit/index.js';
import { nodeProcessRunner } from '../../../src/kernel/process-runner.js';
import { runProdguard } from '../../helpers/cli.js';
import { useProjects } from './project.js';

const { project } = useProjects();

interface Fixture {
  dir: string;
  anchorFile: string;
  tag: string;
  cli(...args: string[]): ReturnType<typeof runProdguard>;
  git(...args: string[]): Promise<string>;
  db(): Database.Database;
}

function fixtureAt(parent: string, tag: string): Fixture {
  const dir = join(parent, 'repo');
  return {
    dir,
    anchorFile: join(parent, 'anchors.jsonl'),
    tag,
    cli: (...args: string[]) => runProdguard(args, { cwd: dir }),
    git: async (...args: string[]) => {
      const result = await nodeProcessRunner.run('git', args, { cwd: dir });
      if (result.failed) throw new Error(result.stderr);
      return result.stdout.trim();
    },
    db: () => new Database(join(dir, '.prodguard/state.db')),
  };
}

/**
 * A project with 16 audit events, anchored twice outside the state store: the rollback tag of a production
 * `prodguard run` (its annotation carries the head at #9) and `prodguard audit anchor` into a JSONL file
 * beside the repository (the head at #14). Events #15-16 come after the last anchor.
 */
async function buildTemplate(parent: string): Promise<Fixture> {
  const repo = await project({
    extraConfig: 'freeze:\n  weekdays: []\naudit:\n  anchors: [../anchors.jsonl]\n',
  });
  cpSync(repo.dir, join(parent, 'repo'), { recursive: true });
  const f = fixtureAt(parent, '');
  for (const reason of ['INC-1 first', 'INC-2 second']) {
    expect((await f.cli('freeze', 'on', '--reason', reason)).exitCode).toBe(0);
    expect((await f.cli('freeze', 'off')).exitCode).toBe(0);
  }
  const run = await f.cli('run', 'production', '--note', 'first release', '--', 'true');
  expect(run.exitCode, run.stderr).toBe(0);
  const tag = /rollback tag (v\d{8}-\d{4})/.exec(run.stdout)![1]!;
  expect((await f.cli('freeze', 'on', '--reason', 'INC-3 third')).exitCode).toBe(0);
  expect((await f.cli('freeze', 'off')).exitCode).toBe(0);
  const anchored = await f.cli('audit', 'anchor');
  expect(anchored.exitCode, anchored.stderr).toBe(0);
  expect((await f.cli('freeze', 'on', '--reason', 'INC-4 fourth')).exitCode).toBe(0);
  return { ...f, tag };
}

/** A copy of the template: repository, state store and anchor file, as if the project had moved. */
function copyOf(template: Fixture, root: string): Fixture {
  const parent = mkdtempSync(join(root, 'case-'));
  cpSync(dirname(template.dir), parent, { recursive: true });
  const f = fixtureAt(parent, template.tag);
  const db = f.db();
  db.prepare("UPDATE audit_anchors SET destination = ? WHERE kind = 'file'").run(f.anchorFile);
  db.close();
  return f;
}

/** Hashes, temp paths and tag names vary from run to run; the rest of the output is pinned. */
function normalize(text: string, f: Fixture): string {
  return text
    .replaceAll(f.dir, '<repo>')
    .replaceAll(f.anchorFile, '<anchors.jsonl>')
    .replaceAll(f.tag, '<tag>')
    .replace(/[0-9a-f]{64}/g, '<hash>')
    .replace(/[0-9a-f]{12}…/g, '<hash12>…');
}

/** Rewrites every event from `fromSeq` on with correct hashes and moves the head: what a careful forger does. */
function rechain(db: Database.Database, fromSeq: number): void {
  const rows = db.prepare<[], AuditRow>('SELECT * FROM audit_events ORDER BY seq').all();
  let prev = rows[fromSeq - 2]?.hash ?? '0'.repeat(64);
  const update = db.prepare('UPDATE audit_events SET prev_hash = ?, hash = ? WHERE seq = ?');
  for (const row of rows.slice(fromSeq - 1)) {
    const event: Omit<AuditEvent, 'hash'> = {
      seq: row.seq,
      at: row.at,
      actor: row.actor,
      environment: row.environment,
      action: row.action,
      target: row.target,
      reason: row.reason,
      outcome: row.outcome as AuditEvent['outcome'],
      details: JSON.parse(row.details) as Record<string, unknown>,
      prevHash: prev,
    };
    const hash = hashAuditEvent(event);
    update.run(prev, hash, row.seq);
    prev = hash;
  }
  db.prepare('UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1').run(rows.at(-1)!.seq, prev);
}

describe('audit verify: the tamper matrix (real CLI, real git tags, real SQLite edits)', () => {
  let root: string;
  let template: Fixture;
  beforeAll(async () => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'prodguard-tamper-')));
    template = await buildTemplate(mkdtempSync(join(root, 'template-')));
  }, 120_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('an untouched log passes, naming the tag and the anchor file it checked', async () => {
    const f = copyOf(template, root);
    expect(await f.git('tag', '-l', '--format=%(contents)', f.tag)).toMatch(/^audit-head: 9 [0-9a-f]{64}$/m);
    expect(readFileSync(f.anchorFile, 'utf8')).toMatch(
      /^\{"seq":14,"hash":"[0-9a-f]{64}","at":"[^"]+","project":"resume-api"\}\n$/,
    );
    const ok = await f.cli('audit', 'verify');
    expect(ok.exitCode, ok.stdout).toBe(0);
    expect(normalize(ok.stdout, f)).toMatchInlineSnapshot(`
      "✓ 16 events, chain intact. Head <hash>
        anchors checked: 5 (5 match, 2 outside the state store)
        · used git tags in <repo>: 1 anchor(s)
        · used file <anchors.jsonl>: 1 anchor(s)
        · used state store anchor records (same database): 3 anchor(s) (not trusted alone)
        ! Events after #14 (the newest external anchor) are protected by the chain alone until the next anchor.
      "
    `);
  });

  const cases: [string, string, (db: Database.Database) => void][] = [
    [
      'edit',
      'edited',
      (db) => db.prepare("UPDATE audit_events SET reason = 'nothing happened' WHERE seq = 5").run(),
    ],
    ['delete', 'deleted', (db) => db.prepare('DELETE FROM audit_events WHERE seq = 6').run()],
    [
      'reorder',
      'inserted-or-reordered',
      (db) => {
        // Swap the contents of #3 and #4, keeping their sequence numbers.
        const [a, b] = db
          .prepare<[], AuditRow>('SELECT * FROM audit_events WHERE seq IN (3, 4) ORDER BY seq')
          .all();
        const put = db.prepare(
          'UPDATE audit_events SET at = ?, actor = ?, environment = ?, action = ?, target = ?, reason = ?, outcome = ?, details = ?, prev_hash = ?, hash = ? WHERE seq = ?',
        );
        for (const [row, seq] of [
          [b!, 3],
          [a!, 4],
        ] as const)
          put.run(
            row.at,
            row.actor,
            row.environment,
            row.action,
            row.target,
            row.reason,
            row.outcome,
            row.details,
            row.prev_hash,
            row.hash,
            seq,
          );
      },
    ],
    [
      'truncate (head record moved back too)',
      'truncated',
      (db) => {
        db.prepare('DELETE FROM audit_events WHERE seq > 12').run();
        const last = db.prepare<[], AuditRow>('SELECT * FROM audit_events WHERE seq = 12').get()!;
        db.prepare('UPDATE audit_head SET seq = 12, hash = ? WHERE id = 1').run(last.hash);
        db.prepare('DELETE FROM audit_anchors').run();
      },
    ],
    [
      'forge with rechain (every hash and the head recomputed)',
      'rewritten',
      (db) => {
        db.prepare("UPDATE audit_events SET reason = 'routine maintenance' WHERE seq = 2").run();
        rechain(db, 2);
        db.prepare('DELETE FROM audit_anchors').run();
      },
    ],
    [
      'wipe (events, head and anchor records deleted)',
      'wiped',
      (db) => {
        db.prepare('DELETE FROM audit_events').run();
        db.prepare('DELETE FROM audit_head').run();
        db.prepare('DELETE FROM audit_anchors').run();
      },
    ],
  ];

  it.each(cases)('%s: audit verify exits 1 with problem %s', async (name, problem, tamper) => {
    const f = copyOf(template, root);
    const db = f.db();
    tamper(db);
    db.close();
    const human = await f.cli('audit', 'verify');
    expect(human.exitCode, human.stdout + human.stderr).toBe(1);
    expect(human.stderr).toBe('');
    const json = JSON.parse((await f.cli('audit', 'verify', '--json')).stdout) as {
      ok: boolean;
      problem: string;
    };
    expect(json).toMatchObject({ ok: false, problem });
    expect({ case: name, output: normalize(human.stdout, f) }).toMatchSnapshot();
  });

  it('forge with rechain is caught by the git tag alone, and by the anchor file alone', async () => {
    const f = copyOf(template, root);
    const db = f.db();
    db.prepare("UPDATE audit_events SET reason = 'routine maintenance' WHERE seq = 2").run();
    rechain(db, 2);
    db.prepare('DELETE FROM audit_anchors').run();
    db.close();
    // The file is gone: the tag still catches it, and verify says which anchor it could not read.
    rmSync(f.anchorFile);
    const byTag = await f.cli('audit', 'verify');
    expect(byTag.exitCode).toBe(1);
    expect(normalize(byTag.stdout, f)).toContain('Event #9 does not match git tag <tag>');
    expect(normalize(byTag.stdout, f)).toMatch(/could not read file <anchors\.jsonl>: ENOENT/);
    // Another project, its tag deleted: the file catches it.
    const g = copyOf(template, root);
    const db2 = g.db();
    db2.prepare("UPDATE audit_events SET reason = 'routine maintenance' WHERE seq = 2").run();
    rechain(db2, 2);
    db2.close();
    await g.git('tag', '-d', g.tag);
    const byFile = await g.cli('audit', 'verify');
    expect(byFile.exitCode).toBe(1);
    expect(normalize(byFile.stdout, g)).toContain('Event #14 does not match file <anchors.jsonl> line 1');
  });

  it('a plain truncation (head record left alone) is caught by the head record', async () => {
    const f = copyOf(template, root);
    const db = f.db();
    db.prepare('DELETE FROM audit_events WHERE seq > 14').run();
    db.close();
    const truncated = await f.cli('audit', 'verify');
    expect(truncated.exitCode).toBe(1);
    expect(truncated.stdout).toContain('The log ends at #14 but its head records #16');
  });
});

describe('prodguard audit anchor to a URL (real HTTP on loopback)', () => {
  let server: Server;
  let url: string;
  const received: unknown[] = [];
  let failing = false;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (failing) {
        res.writeHead(503).end('down');
        return;
      }
      if (req.method === 'POST') {
        let body = '';
        req.on('data', (c: Buffer) => {
          body += c.toString();
        });
        req.on('end', () => {
          received.push(JSON.parse(body));
          res.writeHead(201).end();
        });
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(received));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/anchors`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('POSTs the head, and verify reads it back with GET; a failing endpoint exits 3 and verify says it could not read it', async () => {
    const repo = await project();
    const cli = (...args: string[]) => runProdguard(args, { cwd: repo.dir });
    const empty = await cli('audit', 'anchor', '--to', url);
    expect(empty.exitCode).toBe(2);
    expect(empty.stderr).toContain('PRODGUARD_AUDIT_EMPTY');
    const freeze = JSON.parse((await cli('freeze', 'on', '--reason', 'INC-9 db', '--json')).stdout);
    expect(freeze.audit).toMatchObject({ seq: 2, hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const sent = await cli('audit', 'anchor', '--to', url, '--json');
    expect(sent.exitCode, sent.stderr).toBe(0);
    expect(received).toEqual([
      { seq: 2, hash: freeze.audit.hash, at: expect.any(String), project: 'resume-api' },
    ]);

    const ok = await cli('audit', 'verify', '--json');
    expect(JSON.parse(ok.stdout)).toMatchObject({
      ok: true,
      anchors: expect.arrayContaining([
        { source: `url ${url} item 1`, seq: 2, hash: freeze.audit.hash, external: true, status: 'matches' },
      ]),
    });

    failing = true;
    const down = await cli('audit', 'anchor', '--to', url);
    expect(down.exitCode).toBe(3);
    expect(down.stdout).toContain(`✗ could not anchor to url ${url}: ${url} answered 503`);
    const unread = await cli('audit', 'verify');
    expect(unread.exitCode).toBe(0);
    expect(unread.stdout).toContain(`! could not read url ${url}: GET answered 503`);
    failing = false;
  });
});

describe('audit.autoAnchor', () => {
  it('anchors the head after each command that wrote events, and warns (without failing it) when a destination is unreachable', async () => {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'prodguard-auto-anchor-')));
    const file = join(dir, 'anchors.jsonl');
    const repo = await project({
      extraConfig: `audit:\n  autoAnchor: true\n  anchors: [${JSON.stringify(file)}, "http://127.0.0.1:9/unreachable"]\n`,
    });
    const cli = (...args: string[]) => runProdguard(args, { cwd: repo.dir });
    const on = await cli('freeze', 'on', '--reason', 'INC-5 auto');
    expect(on.exitCode).toBe(0);
    expect(on.stderr).toMatch(
      /^warning: could not anchor the audit head to url http:\/\/127\.0\.0\.1:9\/unreachable: /,
    );
    const status = await cli('freeze', 'status');
    expect(status.exitCode).toBe(0);
    expect(status.stderr).toBe(''); // a read wrote no event: nothing to anchor
    expect((await cli('freeze', 'off')).exitCode).toBe(0);
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { seq: number });
    expect(lines.map((l) => l.seq)).toEqual([2, 4]);
    rmSync(dir, { recursive: true });
  });
});
