import type { ReleaseStatus, ReleaseVerificationStatus } from '../../deploy/index.js';
import { type Style, verdictSymbol } from '../render.js';

const when = (iso: string) => `${iso.slice(0, 19).replace('T', ' ')}Z`;
const short = (digest: string) => digest.replace(/^sha256:/, '').slice(0, 12);

/**
 * The releases block of one environment in `prodguard status`: each serving release in full (digest, what
 * the digest leaves out, verifications with their suites, the E2E run, failures), the others in one line.
 */
export function renderReleases(releases: readonly ReleaseStatus[], s: Style): string[] {
  return releases.flatMap((r) => (r.percent > 0 ? renderServing(r, s) : renderOther(r, s)));
}

function renderServing(r: ReleaseStatus, s: Style): string[] {
  const lines = [
    `  ${s.bold(`release ${short(r.digest)}`)} (commit ${r.commit.slice(0, 8)}) serving ${r.percent} % · ${r.revisions.join(', ')}`,
    `    digest     ${r.digest}`,
    `    excluded   ${excludedText(r, s)}`,
  ];
  if (r.verifications.length === 0) lines.push(`    verified   ${s.dim('not verified on any environment')}`);
  r.verifications.forEach((v, i) => {
    lines.push(`    ${i === 0 ? 'verified ' : '         '}  ${verificationText(v, r, s)}`);
    if (v.tests) lines.push(`               ${testsText(v, s)}`);
  });
  for (const e of r.e2e) lines.push(`    e2e        ${e2eText(e, s)}`);
  for (const f of r.failedOn) {
    lines.push(
      `    ${s.bad(`failed on ${f.environment}`)} ${when(f.at)} (${f.revision}${f.verdict === 'rolled-back' ? ', rolled back' : ''})`,
    );
  }
  return lines;
}

function renderOther(r: ReleaseStatus, s: Style): string[] {
  const parts = [
    ...r.verifications.map((v) => `verified on ${v.environment}${v.standing ? '' : ' (revoked)'}`),
    ...r.e2e.map((e) => `e2e ${e2eText(e, s)}`),
    ...r.failedOn.map((f) => s.bad(`failed on ${f.environment}`)),
  ];
  return [
    `  ${s.dim(`release ${short(r.digest)} (commit ${r.commit.slice(0, 8)}) not serving`)}${parts.length ? `: ${parts.join(' · ')}` : ''}`,
  ];
}

function excludedText(r: ReleaseStatus, s: Style): string {
  if (r.excluded === null)
    return s.warn('unknown: no release record on this machine (never built here, or removed)');
  if (r.excluded.length === 0) return 'nothing excluded (the digest covers every file of the artifact)';
  return s.warn(r.excluded.join(', '));
}

function verificationText(v: ReleaseVerificationStatus, r: ReleaseStatus, s: Style): string {
  const head = `${verdictSymbol(v.standing ? 'pass' : 'fail', s)} ${v.environment} ${when(v.at)}`;
  if (!v.standing) {
    const by = r.failedOn[0];
    return `${head} ${s.bad(`revoked${by ? ` (failed on ${by.environment})` : ''}`)} · checks ${v.checks.join(', ')}`;
  }
  return `${head} · checks ${v.checks.join(', ') || '-'}`;
}

function testsText(v: ReleaseVerificationStatus, s: Style): string {
  const tests = v.tests!;
  const suites = tests.suites
    .map((suite) => `${verdictSymbol(suite.status, s)} ${suite.name}${suite.cached ? ' (cached)' : ''}`)
    .join('  ');
  const overridden =
    tests.verdict === 'overridden' ? ` ${s.warn(`⚑ overridden: ${tests.overrideReason ?? ''}`)}` : '';
  const where = tests.treeHash ? s.dim(` (working tree ${tests.treeHash.slice(0, 12)})`) : '';
  return `suites ${suites || s.dim(tests.verdict === 'skipped' ? 'rule off' : 'none')}${overridden}${where}`;
}

function e2eText(e: ReleaseStatus['e2e'][number], s: Style): string {
  return `${verdictSymbol(e.passed ? 'pass' : 'fail', s)} ${e.suite} on ${e.environment} ${when(e.at)}${e.message ? `: ${e.message}` : ''}`;
}
