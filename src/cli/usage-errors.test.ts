import { describe, expect, it } from 'vitest';
import type { CliIo } from './io.js';
import { runCli } from './main.js';

/** Bad flags are refused by commander before any workspace is opened: exit 2 and a message naming the choices. */
async function run(argv: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  const io: CliIo = {
    cwd: '/nonexistent',
    env: {},
    stdout: () => {},
    stderr: (t) => {
      err += t;
    },
    readStdin: async () => '',
    stdinIsTTY: false,
    stdoutIsTTY: false,
    setExitCode: () => {},
    signal: new AbortController().signal,
  };
  return { code: await runCli(argv, io), err };
}

describe('CLI usage errors', () => {
  it.each([
    [
      ['deploy', 'staging', '--strategy', 'blue-green'],
      "option '--strategy <name>' argument 'blue-green' is invalid. Allowed choices are all-at-once, canary.",
    ],
    [
      ['secrets', 'rotate', 'DATABASE_URL', '--env', 'staging', '--strategy', 'x'],
      'Allowed choices are alternating, single-user.',
    ],
    [
      ['secrets', 'add', 'API_KEY', '--env', 'staging', '--kind', 'password'],
      'Allowed choices are postgres, random, external.',
    ],
    [
      ['maintenance', 'maybe', 'staging'],
      "value 'maybe' is invalid for argument 'mode'. Allowed choices are on, off.",
    ],
    [['secrets', 'versions', 'API_KEY'], "required option '--env <env>' not specified"],
    [['secrets', 'pin', 'API_KEY', '2'], "required option '--env <env>' not specified"],
    [['secrets', 'rotate', 'API_KEY'], "required option '--env <env>' not specified"],
  ])('%j exits 2: %s', async (argv, message) => {
    const { code, err } = await run(argv);
    expect(code).toBe(2);
    expect(err).toContain(message);
  });

  it('names an invalid version number with its code', async () => {
    const { code, err } = await run(['secrets', 'pin', 'API_KEY', 'two', '--env', 'staging']);
    expect(code).toBe(2);
    expect(err).toContain('error PRODGUARD_USAGE_VERSION: "two" is not a version number.');
  });
});
