import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { DateTime } from 'luxon';
import {
  type Alias,
  type Document,
  isAlias,
  isCollection,
  isMap,
  isNode,
  isPair,
  isScalar,
  LineCounter,
  type Node,
  parseDocument,
} from 'yaml';
import type { z } from 'zod';
import { formatDuration } from '../kernel/duration.js';
import { ConfigInvalidError, ConfigNotFoundError, type ConfigProblem } from './errors.js';
import { type ParsedConfig, writtenConfigSchema } from './schema.js';

export const CONFIG_FILE_NAME = 'prodguard.yaml';

/** The trusted config: schema-checked, defaults filled, paths absolute. */
export interface Config extends ParsedConfig {
  /** Absolute path of prodguard.yaml. */
  readonly file: string;
  /** The folder holding prodguard.yaml: the repository root prodguard works in. */
  readonly root: string;
  /** Absolute state folder. */
  readonly stateDirPath: string;
  /**
   * Where built releases live: outside the project's tree, so test runners, coverage and editors never see
   * copies of the app. `<stateDir>/artifacts` when stateDir is outside the tree; otherwise
   * `$PRODGUARD_STATE_HOME` (else `$XDG_STATE_HOME`, else `~/.local/state`)`/prodguard/<name>-<hash>/artifacts`.
   */
  readonly artifactsDirPath: string;
  /**
   * Where revisions run from when prodguard runs as root and revisions as app.runAs: one folder per environment
   * (its group only) holding that environment's releases, never inside the 0700 state folder. Beside the
   * artifacts: `<stateDir>-revisions` when stateDir is outside the tree; otherwise `$PRODGUARD_STATE_HOME`
   * (else `$XDG_STATE_HOME`, else `/var/lib` as root, `~/.local/state` otherwise)`/prodguard/<name>-<hash>/revisions`.
   */
  readonly revisionsDirPath: string;
  /** Environment names in the order written (the promotion chain). */
  readonly environmentOrder: readonly string[];
}

export interface LoadConfigOptions {
  cwd: string;
  /** Explicit file (from --config); otherwise searched upwards from cwd. */
  file?: string;
  /** Rule ids the rules engine knows, so a typo under `rules:` is reported with the rest. */
  knownRuleIds?: readonly string[];
}

export function findConfigFile(cwd: string): string | undefined {
  let dir = resolve(cwd);
  for (;;) {
    const candidate = join(dir, CONFIG_FILE_NAME);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export function loadConfig(options: LoadConfigOptions): Config {
  const file = options.file ? resolve(options.cwd, options.file) : findConfigFile(options.cwd);
  if (!file || !existsSync(file))
    throw new ConfigNotFoundError(options.file ? resolve(options.cwd, options.file) : options.cwd);
  return parseConfigText(readFileSync(file, 'utf8'), file, options.knownRuleIds);
}

/** Parses config text; `file` is used for messages and to resolve relative paths. */
export function parseConfigText(text: string, file: string, knownRuleIds?: readonly string[]): Config {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number | undefined) => {
    if (offset === undefined) return {};
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  if (doc.errors.length > 0) {
    throw new ConfigInvalidError(
      file,
      doc.errors.map((e) => ({
        path: '',
        message: `YAML syntax: ${e.message.split('\n')[0]}`,
        ...at(e.pos[0]),
      })),
    );
  }
  const raw = toPlainValue(doc, file, at);
  const result = writtenConfigSchema.safeParse(raw);
  const problems: ConfigProblem[] = [];
  if (!result.success) {
    for (const issue of result.error.issues) problems.push(...describeIssue(issue, doc, at));
  } else {
    problems.push(
      ...crossFieldProblems(result.data, knownRuleIds).map((p) => ({
        ...p,
        ...at(offsetOf(doc, p.segments)),
      })),
    );
  }
  if (problems.length > 0) {
    problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
    throw new ConfigInvalidError(file, problems);
  }
  const parsed = result.data!;
  const root = dirname(file);
  const stateDirPath = isAbsolute(parsed.stateDir) ? parsed.stateDir : join(root, parsed.stateDir);
  return Object.freeze({
    ...parsed,
    file,
    root,
    stateDirPath,
    artifactsDirPath: artifactsDirOf(root, stateDirPath, parsed.project.name, process.env),
    revisionsDirPath: revisionsDirOf(
      root,
      stateDirPath,
      parsed.project.name,
      process.env,
      process.getuid?.() === 0,
    ),
    environmentOrder: Object.keys(parsed.environments),
  });
}

/** See Config.artifactsDirPath. */
export function artifactsDirOf(
  root: string,
  stateDirPath: string,
  projectName: string,
  env: Readonly<Record<string, string | undefined>>,
): string {
  if (!isInsideTree(root, stateDirPath)) return join(stateDirPath, 'artifacts');
  const home =
    env.PRODGUARD_STATE_HOME || env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state');
  return join(home, 'prodguard', projectFolderName(root, projectName), 'artifacts');
}

/** See Config.revisionsDirPath. As root, `~` is /root (0700), which the revisions' user cannot enter. */
export function revisionsDirOf(
  root: string,
  stateDirPath: string,
  projectName: string,
  env: Readonly<Record<string, string | undefined>>,
  asRoot: boolean,
): string {
  if (!isInsideTree(root, stateDirPath)) return `${stateDirPath.replace(/[/\\]+$/, '')}-revisions`;
  const home =
    env.PRODGUARD_STATE_HOME ||
    env.XDG_STATE_HOME ||
    (asRoot ? '/var/lib' : join(env.HOME || homedir(), '.local', 'state'));
  return join(home, 'prodguard', projectFolderName(root, projectName), 'revisions');
}

function isInsideTree(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function projectFolderName(root: string, projectName: string): string {
  const slug = projectName.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 40) || 'project';
  const hash = createHash('sha256').update(resolve(root)).digest('hex').slice(0, 12);
  return `${slug}-${hash}`;
}

type PathSegment = string | number;

/**
 * yaml's guard against alias bombs, here explicit: how many copies the aliases of one anchor may make, each
 * alias counted with the aliases inside what it copies. A config needs a handful; a "billion laughs" file
 * (anchors built from aliases of anchors, each level multiplying the last) fails fast instead of eating memory.
 */
export const MAX_ALIAS_COUNT = 100;

/** The document as plain data; an alias that names no anchor, or that explodes, is a problem with its position. */
function toPlainValue(
  doc: Document,
  file: string,
  at: (offset: number | undefined) => { line?: number; column?: number },
): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? {};
  } catch (error) {
    // yaml throws a ReferenceError without a position: find the alias it is about.
    const aliases = collectAliases(doc.contents);
    const unresolved = aliases.find((a) => a.target === undefined);
    const problem = unresolved
      ? {
          found: unresolved,
          message: `Alias *${unresolved.alias.source} names no anchor: define &${unresolved.alias.source} before it (anchors must come first)`,
        }
      : explodingAlias(aliases);
    throw new ConfigInvalidError(
      file,
      [
        problem
          ? {
              path: formatPath(problem.found.segments),
              message: problem.message,
              ...at(problem.found.alias.range?.[0]),
            }
          : { path: '', message: `YAML: ${(error as Error).message}` },
      ],
      { cause: error },
    );
  }
}

interface FoundAlias {
  alias: Alias;
  /** The anchored node it copies, as yaml resolves it: the last `&name` before the alias. */
  target: Node | undefined;
  segments: PathSegment[];
}

/** Every alias in document order, with its key path and target, in one pass (Alias.resolve walks the whole document each call). */
function collectAliases(root: unknown): FoundAlias[] {
  const anchors = new Map<string, Node>();
  const found: FoundAlias[] = [];
  const walk = (node: unknown, segments: PathSegment[]): void => {
    if (isAlias(node)) {
      found.push({ alias: node, target: anchors.get(node.source), segments });
      return;
    }
    if (isNode(node) && node.anchor) anchors.set(node.anchor, node);
    if (isMap(node)) {
      for (const pair of node.items) {
        walk(pair.key, segments);
        walk(pair.value, [...segments, isScalar(pair.key) ? String(pair.key.value) : '?']);
      }
    } else if (isCollection(node)) {
      for (const [i, item] of node.items.entries()) walk(item, [...segments, i]);
    }
  };
  walk(root, []);
  return found;
}

/**
 * The anchor whose aliases copy the most (each alias counts once plus the aliases inside what it copies),
 * pointed at its first alias: in a "billion laughs" file, the anchor that multiplies the others.
 */
function explodingAlias(aliases: FoundAlias[]): { found: FoundAlias; message: string } | undefined {
  const targets = new Map(aliases.map((a) => [a.alias, a.target]));
  const nested = new Map<unknown, number>();
  const aliasesWithin = (node: unknown): number => {
    if (isAlias(node)) return 1 + aliasesWithin(targets.get(node));
    if (!isPair(node) && !isCollection(node)) return 0;
    const known = nested.get(node);
    if (known !== undefined) return known;
    nested.set(node, Number.POSITIVE_INFINITY); // an alias inside its own anchor never ends
    const total = isPair(node)
      ? aliasesWithin(node.key) + aliasesWithin(node.value)
      : (node.items as unknown[]).reduce<number>((sum, item) => sum + aliasesWithin(item), 0);
    nested.set(node, total);
    return total;
  };
  const byAnchor = new Map<string, { first: FoundAlias; copies: number }>();
  for (const found of aliases) {
    const entry = byAnchor.get(found.alias.source) ?? { first: found, copies: 0 };
    entry.copies += aliasesWithin(found.alias);
    byAnchor.set(found.alias.source, entry);
  }
  let worst: { first: FoundAlias; copies: number } | undefined;
  for (const entry of byAnchor.values()) if (!worst || entry.copies > worst.copies) worst = entry;
  if (!worst) return undefined;
  const amount = Number.isFinite(worst.copies) ? `${worst.copies} copies` : 'copies without end';
  return {
    found: worst.first,
    message: `Aliases of &${worst.first.alias.source} expand to ${amount}; at most ${MAX_ALIAS_COUNT} are allowed (anchors built from aliases multiply)`,
  };
}

function describeIssue(
  issue: z.core.$ZodIssue,
  doc: Document,
  at: (offset: number | undefined) => { line?: number; column?: number },
): ConfigProblem[] {
  const segments = issue.path.filter((s): s is PathSegment => typeof s !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      path: formatPath([...segments, key]),
      message: `Unknown key "${key}" (misspelled, or not supported here)`,
      ...at(keyOffset(doc, segments, key)),
    }));
  }
  const node = doc.getIn(segments, true);
  const missing = node === undefined && issue.code === 'invalid_type';
  return [
    {
      path: formatPath(segments),
      message: missing
        ? `Missing required key. ${issue.message.replace(/, received undefined$/, '')}`
        : humanMessage(issue),
      ...at(offsetOf(doc, segments)),
    },
  ];
}

function humanMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_value' && 'values' in issue) {
    return `Expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return issue.message.replace(/^Invalid input: /, '');
}

/** Offset of the deepest existing node along the path, so a missing key points at its parent. */
function offsetOf(doc: Document, segments: readonly PathSegment[]): number | undefined {
  for (let depth = segments.length; depth >= 0; depth--) {
    const prefix = segments.slice(0, depth);
    if (depth > 0) {
      const keyAt = keyOffset(doc, prefix.slice(0, -1), prefix[prefix.length - 1]!);
      const value = doc.getIn(prefix, true);
      if (isNode(value) && value.range && !isMap(value)) return value.range[0];
      if (keyAt !== undefined) return keyAt;
      if (isNode(value) && value.range) return value.range[0];
    } else {
      const contents = doc.contents;
      if (isNode(contents) && contents.range) return contents.range[0];
    }
  }
  return undefined;
}

function keyOffset(
  doc: Document,
  parentSegments: readonly PathSegment[],
  key: PathSegment,
): number | undefined {
  const parent = parentSegments.length === 0 ? doc.contents : doc.getIn(parentSegments, true);
  if (!isMap(parent)) return undefined;
  for (const item of parent.items) {
    if (isPair(item) && isScalar(item.key) && String(item.key.value) === String(key)) {
      return (item.key as Node).range?.[0];
    }
  }
  return undefined;
}

export function formatPath(segments: readonly PathSegment[]): string {
  return segments.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

interface CrossFieldProblem extends ConfigProblem {
  segments: PathSegment[];
}

/** Small named rules that need more than one field. */
function crossFieldProblems(config: ParsedConfig, knownRuleIds?: readonly string[]): CrossFieldProblem[] {
  const problems: CrossFieldProblem[] = [];
  const names = Object.keys(config.environments);
  for (const [name, env] of Object.entries(config.environments)) {
    if (env.requires === undefined) continue;
    const segments = ['environments', name, 'requires'];
    if (!names.includes(env.requires)) {
      problems.push({
        segments,
        path: formatPath(segments),
        message: `Names environment "${env.requires}", which is not defined. Expected one of: ${names.join(', ')}`,
      });
    } else if (requiresCycle(config, name)) {
      problems.push({
        segments,
        path: formatPath(segments),
        message: `"requires" forms a cycle starting at ${name}; the promotion chain must end.`,
      });
    }
  }
  for (const [index, envName] of (config.tests.e2e?.environments ?? []).entries()) {
    if (!names.includes(envName)) {
      const segments = ['tests', 'e2e', 'environments', index];
      problems.push({
        segments,
        path: formatPath(segments),
        message: `Names environment "${envName}", which is not defined. Expected one of: ${names.join(', ')}`,
      });
    }
  }
  for (const [index, window] of config.freeze.windows.entries()) {
    const bounds = (['from', 'to'] as const).map((key) => {
      const parsed = DateTime.fromISO(window[key], { zone: config.timezone });
      if (!parsed.isValid) {
        const segments = ['freeze', 'windows', index, key];
        problems.push({
          segments,
          path: formatPath(segments),
          message: `"${window[key]}" is not an ISO 8601 time. Expected e.g. 2026-12-24T00:00 (read in ${config.timezone}) or 2026-12-24T00:00:00Z`,
        });
      }
      return parsed;
    });
    if (bounds[0]!.isValid && bounds[1]!.isValid && bounds[1]! <= bounds[0]!) {
      const segments = ['freeze', 'windows', index, 'to'];
      problems.push({ segments, path: formatPath(segments), message: 'Must be after "from"' });
    }
    for (const envName of window.environments ?? []) {
      if (!names.includes(envName)) {
        const segments = ['freeze', 'windows', index, 'environments'];
        problems.push({
          segments,
          path: formatPath(segments),
          message: `Unknown environment "${envName}". Expected one of: ${names.join(', ')}`,
        });
      }
    }
  }
  problems.push(...durationOrderProblems(config));
  for (const [ruleId, setting] of Object.entries(config.rules)) {
    const segments = ['rules', ruleId];
    if (knownRuleIds && !knownRuleIds.includes(ruleId)) {
      problems.push({
        segments,
        path: formatPath(segments),
        message: `Unknown rule "${ruleId}". Expected one of: ${knownRuleIds.join(', ')}`,
      });
    }
    for (const envName of setting.environments ?? []) {
      if (!names.includes(envName)) {
        problems.push({
          segments: [...segments, 'environments'],
          path: formatPath([...segments, 'environments']),
          message: `Unknown environment "${envName}". Expected one of: ${names.join(', ')}`,
        });
      }
    }
  }
  return problems;
}

/** Durations that only make sense in order: a sample's window covers at least one interval; retries fit their timeout. */
function durationOrderProblems(config: ParsedConfig): CrossFieldProblem[] {
  const pairs = [
    {
      shorter: ['deploy', 'analysis', 'interval'],
      longer: ['deploy', 'analysis', 'window'],
      why: 'each sample covers one window, so a shorter one leaves requests between samples uncounted',
    },
    {
      shorter: ['secrets', 'propagationInterval'],
      longer: ['secrets', 'propagationTimeout'],
      why: 'a rotation retries its login every interval until the timeout',
    },
  ] as const;
  const valueAt = (segments: readonly string[]) =>
    segments.reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], config) as number;
  return pairs
    .filter((p) => valueAt(p.longer) < valueAt(p.shorter))
    .map((p) => ({
      segments: [...p.longer],
      path: formatPath(p.longer),
      message: `Must be at least ${formatPath(p.shorter)} (${formatDuration(valueAt(p.shorter))}), got ${formatDuration(valueAt(p.longer))}: ${p.why}`,
    }));
}

function requiresCycle(config: ParsedConfig, start: string): boolean {
  const seen = new Set<string>();
  let current: string | undefined = start;
  while (current !== undefined) {
    if (seen.has(current)) return true;
    seen.add(current);
    current = config.environments[current]?.requires;
  }
  return false;
}
