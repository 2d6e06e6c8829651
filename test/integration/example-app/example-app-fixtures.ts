import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type JsonLineChild, spawnJsonLines } from '../runtime/child-process.js';
import type { TestRole } from '../runtime/runtime-fixtures.js';

export const APP_DIR = fileURLToPath(new URL('../../../examples/cvstomize-api/', import.meta.url));
export const RUNTIME = fileURLToPath(new URL('../../../packages/runtime/dist/index.js', import.meta.url));

export function dbEnv(role: TestRole): NodeJS.ProcessEnv {
  return {
    DB_HOST: role.host,
    DB_PORT: String(role.port),
    DB_USER: role.user,
    DB_PASSWORD: role.password,
    DB_NAME: role.database.name,
  };
}

/** Environment for a child that must not inherit a database or fault setting from the test runner. */
function clean(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  for (const key of ['DATABASE_URL', 'FAULT_RATE', 'FAULT_PATH', 'FAULT_AFTER', 'SLOW_MS', 'MAINTENANCE']) {
    if (!(key in env)) out[key] = '';
  }
  return out;
}

export interface RunningApp {
  url: string;
  app: JsonLineChild;
  stop(): Promise<void>;
}

export async function startApp(env: NodeJS.ProcessEnv, appDir = APP_DIR): Promise<RunningApp> {
  const app = spawnJsonLines(`${appDir}/server.js`, clean({ PORT: '0', HOST: '127.0.0.1', ...env }));
  const listening = await app.waitFor((l) => l.event === 'listening', 15_000);
  return {
    url: `http://127.0.0.1:${listening.port as number}`,
    app,
    stop: async () => {
      if (app.child.exitCode === null && app.child.signalCode === null) {
        app.child.kill('SIGTERM');
        const timer = setTimeout(() => app.child.kill('SIGKILL'), 5_000);
        await app.exited;
        clearTimeout(timer);
      }
    },
  };
}

export interface ScriptResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one of the app's scripts (migrate, smoke) as a real child process, bounded in time. */
export function runScript(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 30_000,
): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      env: clean({ ...process.env, ...env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not finish within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export async function registerAndLogin(url: string, email: string, password = 'correct horse battery') {
  const reg = await fetch(`${url}/api/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email, password, name: 'Test User' }),
  });
  if (reg.status !== 201) throw new Error(`register: ${reg.status} ${await reg.text()}`);
  return login(url, email, password);
}

export async function login(url: string, email: string, password = 'correct horse battery'): Promise<string> {
  const res = await fetch(`${url}/api/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (res.status !== 200) throw new Error(`login: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}
