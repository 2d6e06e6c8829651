import { nodeProcessRunner, type ProcessResult } from '../kernel/process-runner.js';
import { type DeployTimeline, readDeployTimeline, renderDeployEvent } from './deploy-timeline.js';

export interface DemoCliOptions {
  bin: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  print: (text: string) => void;
}

/** Runs the real prodguard CLI the way a person would, echoing each command and its output. */
export class DemoCli {
  readonly #options: DemoCliOptions;

  constructor(options: DemoCliOptions) {
    this.#options = options;
  }

  setEnv(name: string, value: string): void {
    this.#options.env[name] = value;
  }

  async run(
    args: readonly string[],
    options: { input?: string; quiet?: boolean; expect?: number } = {},
  ): Promise<ProcessResult> {
    const { print } = this.#options;
    if (!options.quiet) print(`$ prodguard ${args.join(' ')}\n`);
    const result = await nodeProcessRunner.run(process.execPath, [this.#options.bin, ...args], {
      cwd: this.#options.cwd,
      env: this.#options.env,
      timeoutMs: 180_000,
      ...(options.input !== undefined ? { input: options.input } : {}),
      ...(options.quiet ? {} : { onOutput: (chunk: string) => print(indent(chunk)) }),
    });
    const expected = options.expect ?? 0;
    if (result.exitCode !== expected) {
      throw new Error(
        `prodguard ${args.join(' ')} exited ${result.exitCode}, expected ${expected}\n${result.stdout}\n${result.stderr}`,
      );
    }
    return result;
  }

  /** `prodguard deploy … --json`: renders the pipeline's events as they arrive and returns their timeline. */
  async deploy(args: readonly string[], expected: number): Promise<DeployTimeline> {
    const { print } = this.#options;
    print(`$ prodguard ${args.join(' ')}\n`);
    const lines: { at: number; line: string }[] = [];
    let buffer = '';
    const result = await nodeProcessRunner.run(process.execPath, [this.#options.bin, ...args, '--json'], {
      cwd: this.#options.cwd,
      env: this.#options.env,
      timeoutMs: 180_000,
      onOutput: (chunk, stream) => {
        if (stream !== 'stdout') return;
        buffer += chunk;
        for (let newline = buffer.indexOf('\n'); newline >= 0; newline = buffer.indexOf('\n')) {
          const line = buffer.slice(0, newline);
          buffer = buffer.slice(newline + 1);
          lines.push({ at: performance.now(), line });
          const rendered = renderDeployEvent(line);
          if (rendered) print(`${rendered}\n`);
        }
      },
    });
    if (result.exitCode !== expected) {
      throw new Error(
        `prodguard ${args.join(' ')} exited ${result.exitCode}, expected ${expected}\n${result.stderr}`,
      );
    }
    return readDeployTimeline(lines);
  }
}

function indent(chunk: string): string {
  return chunk.replace(/^(?=.)/gm, '  ');
}
