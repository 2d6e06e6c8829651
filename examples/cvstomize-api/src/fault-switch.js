import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The faulty-release switch, for demos and tests of detection and rollback.
 *
 * From the environment: `FAULT_RATE` (0..1, share of matching requests answered 500), `FAULT_PATH`
 * (path prefix, default `/api/`), `FAULT_AFTER` (the first N matching requests are served normally, so a
 * release can pass its smoke test and fail under real traffic), `SLOW_MS` (latency added to matching
 * requests). From a `FAULTY_RELEASE` file in the app folder, so that a faulty release can be a commit:
 * `key=value` lines with the keys `rate`, `path`, `after`, `slow_ms` (an empty file means rate=0.5).
 * The environment wins over the file.
 *
 * Failures are counter-based, not random: with rate 0.5 exactly every second matching request fails.
 */
export function readFaultConfig(env, appDir) {
  const file = join(appDir, 'FAULTY_RELEASE');
  const fromFile = existsSync(file) ? parseFaultFile(readFileSync(file, 'utf8')) : undefined;
  const pick = (envName, fileKey, fallback) => {
    if (env[envName] !== undefined && env[envName] !== '') return env[envName];
    if (fromFile && fromFile[fileKey] !== undefined) return fromFile[fileKey];
    return fallback;
  };
  const rate = number(pick('FAULT_RATE', 'rate', fromFile ? '0.5' : '0'), 'FAULT_RATE', 0, 1);
  const slowMs = number(pick('SLOW_MS', 'slow_ms', '0'), 'SLOW_MS', 0, 600_000);
  const after = number(pick('FAULT_AFTER', 'after', '0'), 'FAULT_AFTER', 0, Number.MAX_SAFE_INTEGER);
  const path = pick('FAULT_PATH', 'path', '/api/');
  return {
    rate,
    slowMs,
    after: Math.floor(after),
    path,
    source: fromFile ? 'FAULTY_RELEASE file' : 'environment',
  };
}

function parseFaultFile(text) {
  const out = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) continue;
    const eq = line.indexOf('=');
    if (eq < 0) throw new Error(`FAULTY_RELEASE: expected key=value, got "${line}"`);
    const key = line.slice(0, eq).trim();
    if (!['rate', 'path', 'after', 'slow_ms'].includes(key)) {
      throw new Error(`FAULTY_RELEASE: unknown key "${key}" (expected rate, path, after or slow_ms)`);
    }
    out[key] = line.slice(eq + 1).trim();
  }
  return out;
}

function number(raw, name, min, max) {
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new Error(`${name} must be a number between ${min} and ${max}, got "${raw}"`);
  }
  return value;
}

/** Decides, request by request, whether the switch fails or slows it. */
export function createFaultSwitch(config) {
  let matched = 0;
  let failed = 0;
  return {
    config,
    get active() {
      return config.rate > 0 || config.slowMs > 0;
    },
    matches(path) {
      return (config.rate > 0 || config.slowMs > 0) && path.startsWith(config.path);
    },
    /** Call once per matching request; true means answer 500. */
    shouldFail() {
      matched++;
      const n = matched - config.after;
      if (n <= 0 || config.rate <= 0) return false;
      // Bresenham-style: the n-th request fails when floor(n*rate) steps up, so failures are spread evenly.
      const fail = Math.floor(n * config.rate + 1e-9) > Math.floor((n - 1) * config.rate + 1e-9);
      if (fail) failed++;
      return fail;
    },
    stats() {
      return { matched, failed };
    },
  };
}
