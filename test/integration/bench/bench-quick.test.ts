import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { nodeProcessRunner } from '../../../src/kernel/process-runner.js';
import { serverUrl } from '../../helpers/postgres.js';

/**
 * Every bench in bench/ runs in its --quick mode as a real child process, so a bench cannot rot between
 * releases: it must exit 0 and print its result lines (the ratio against its baseline, measured in the
 * same run), or say why it skipped a baseline whose tool is not installed. Quick runs use small sizes;
 * their numbers are not measurements.
 *
 * They take about two minutes together, so they run in CI (CI=true, as .ci/run sets) or when
 * PRODGUARD_BENCH_QUICK=1; elsewhere the suite says they were skipped.
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SHARED_DATA = fileURLToPath(new URL('../../../../shared/data/prisma-migrations/', import.meta.url));
const enabled =
  process.env.CI === 'true' || process.env.CI === '1' || process.env.PRODGUARD_BENCH_QUICK === '1';
if (!enabled) console.log('bench --quick runs skipped: set CI=true or PRODGUARD_BENCH_QUICK=1 to run them');

interface BenchExpectation {
  /** Lines the bench prints when it ran everything. */
  lines: RegExp[];
  /** A baseline that needs an external tool: the line it prints when it skips it, and what then still prints. */
  orSkipped?: { reason: RegExp; lines: RegExp[] };
  /** Benches reading ../shared/data. */
  needsSharedData?: boolean;
  /** A longer limit than the default 110 s (the replays start several clusters and agents). */
  timeoutMs?: number;
}

const BENCHES: Record<string, BenchExpectation> = {
  'deploy-detection': {
    lines: [
      /^detection with defaults: median \d+\.\d\d s of \d+ \(max \d+\.\d\d s\), goal ≤ 5 s: (met|missed); ratio to previous defaults \d+\.\d\d$/m,
      /^false rollbacks: \d+ of \d+ healthy canaries, goal 0: (met|missed)$/m,
    ],
  },
  drift: {
    needsSharedData: true,
    lines: [
      /^prodguard db drift: \d+ ms, 0 difference\(s\)/m,
      /^ratio prodguard\/manual drift time: \d+\.\d\dx$/m,
    ],
    orSkipped: {
      reason: /not installed: skipping the manual baseline/,
      lines: [/^prodguard db drift: \d+ ms, 0 difference\(s\)/m],
    },
  },
  lint: {
    needsSharedData: true,
    lines: [/^ratio prodguard CLI\/squawk time: \d+\.\d\dx$/m, /^ratio prodguard\/squawk time: \d+\.\d\dx/m],
    orSkipped: {
      reason: /squawk-cli is not installed and --quick does not install it/,
      lines: [/^prodguard migrate lint: \d+ ms/m, /^prodguard CLI end to end .*: \d+ ms$/m],
    },
  },
  'migrate-deploy': {
    needsSharedData: true,
    lines: [
      /^ratio prodguard\/psql deploy time: \d+\.\d\dx$/m,
      /^ratio drift\/psql replay time: \d+\.\d\dx$/m,
    ],
    orSkipped: {
      reason: /psql is not installed: skipping the psql baseline\./,
      lines: [/^prodguard migrate deploy .*: \d+ ms$/m, /, 0 difference\(s\)$/m],
    },
  },
  preflight: {
    lines: [/^ {2}ratio prodguard \/ script: \d+\.\d\dx$/m],
    orSkipped: {
      reason: /curl is not installed: skipping the manual checklist baseline\./,
      lines: [/prodguard preflight production .*median \d+ ms/],
    },
  },
  'rotation-db': {
    lines: [
      /^naive ALTER ROLE +\d+ +\d+ +\d+\.\d\d% +(\d+\.\d{3}x|-)/m,
      /^alternating users +\d+ +\d+ +\d+\.\d\d% +(\d+\.\d{3}x|-)/m,
    ],
  },
  rotation: {
    lines: [
      /^alternating users \(prodguard default\) +\d+ +\d+ +\d+\.\d\d% +(\d+\.\d{3}|-)x/m,
      /^naive ALTER ROLE on production \(the outage\) +\d+ +\d+ +\d+\.\d\d% +(\d+\.\d{3}|-)x/m,
    ],
  },
  // Every replay prints its row (a replay that throws prints ERROR and exits 1).
  replay: {
    timeoutMs: 240_000,
    lines: [
      /^\| Replay \| Outcome \| Failed \/ sent \| Downtime \| Time to detect \| Time to mitigate \| Audit events \|$/m,
      /^\| 1\. Nov 7: password changed under pooled load, prodguard `secrets rotate` \| prevented: rotation succeeded, 0 failed queries \| 0 \/ \d+ \|/m,
      /^\| 1\. Nov 7 baseline: naive ALTER ROLE, fixed by hand \| (outage: \d+ failed queries|prevented)/m,
      /^\| 2\. release fails 30 % after its watch \| mitigated \(alert → incident → rollback → postmortem\) \|/m,
      /^\| 3\. migration behind a 2\.5 s transaction \(lock_timeout 200 ms\) \| prevented: app p99 \d+ ms ≤ SLO 500 ms \(naive \d+ ms = \d+\.\d×\), applied after \d+ retries \|/m,
      /^\| 4\. column added and index dropped by hand \| detected: schema-drift alert raised and notified \|/m,
      /^\| 5\. deploy on a Friday 15:30, and during an open SEV-2 \| prevented: both refused \(no-friday-deploys; no-open-incident\); hotfix with override audited \|.*rule\.override/m,
      /^\| 6\. secret overwritten instead of versioned \| prevented on restart \(pinned v1 served\); bad pin mitigated \(rollback, pin back\) \|/m,
      /^\| 7a\. crash-looping revision \(10 % canary\) \| detected: /m,
      /^\| 7b\. exhausted connection pool .* \| detected: /m,
    ],
  },
  router: {
    lines: [
      /→ router throughput = \d+\.\d % of direct \(goal ≥ 80 %\); nginx = /,
      /→ a burst's median first response: the router adds -?\d+\.\d\d ms over direct, nginx -?\d+\.\d\d ms$/m,
      /→ a minimal node relay \(no parsing, metrics or routing\) adds -?\d+\.\d\d ms \(one process\), -?\d+\.\d\d ms \(two processes sharing the socket\)$/m,
    ],
    orSkipped: {
      reason: /nginx is not installed \(apt-get install nginx-light\): skipping the reference proxy\./,
      lines: [
        /→ router throughput = \d+\.\d % of direct \(goal ≥ 80 %\)$/m,
        /→ a burst's median first response: the router adds -?\d+\.\d\d ms over direct$/m,
        /→ a minimal node relay \(no parsing, metrics or routing\) adds -?\d+\.\d\d ms \(one process\), -?\d+\.\d\d ms \(two processes sharing the socket\)$/m,
      ],
    },
  },
  'zero-downtime': {
    lines: [/^failed requests \(non-2xx or socket errors\): 0 \(goal 0\)$/m],
  },
};

describe.runIf(enabled)('bench --quick (real child processes; needs `npm run build`)', () => {
  it('covers every bench in bench/', () => {
    const benches = readdirSync(`${ROOT}bench`)
      .filter((f) => f.endsWith('.mjs'))
      .map((f) => f.slice(0, -'.mjs'.length))
      .sort();
    expect(benches).toEqual(Object.keys(BENCHES).sort());
  });

  for (const [name, expected] of Object.entries(BENCHES)) {
    it(
      `node bench/${name}.mjs --quick exits 0 and prints its result lines`,
      async () => {
        if (expected.needsSharedData && !existsSync(SHARED_DATA)) {
          throw new Error(`${SHARED_DATA} not found: CI must provide ../shared/data next to the repository`);
        }
        const result = await nodeProcessRunner.run(process.execPath, [`bench/${name}.mjs`, '--quick'], {
          cwd: ROOT,
          // drift and migrate-deploy create their databases on the run's cluster instead of starting their own.
          env: { ...process.env, NO_COLOR: '1', BENCH_SERVER_URL: serverUrl() },
          timeoutMs: expected.timeoutMs ?? 110_000,
          maxBuffer: 1024 * 1024,
        });
        const output = `${result.stdout}\n${result.stderr}`;
        expect(result.exitCode, output).toBe(0);
        const skipped = expected.orSkipped?.reason.test(result.stdout);
        for (const line of skipped ? expected.orSkipped!.lines : expected.lines) {
          expect(result.stdout, output).toMatch(line);
        }
        expect(result.stdout).not.toMatch(/NaN|Infinity/);
      },
      (expected.timeoutMs ?? 110_000) + 10_000,
    );
  }
});
