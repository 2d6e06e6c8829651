import { UsageError } from '../kernel/errors.js';

export interface ConfigProblem {
  /** Dotted key path such as `environments.production.health.timeout`. */
  path: string;
  message: string;
  line?: number;
  column?: number;
}

/** Every problem found in one config file, reported together. */
export class ConfigInvalidError extends UsageError {
  readonly file: string;
  readonly problems: readonly ConfigProblem[];

  constructor(file: string, problems: readonly ConfigProblem[], options: { cause?: unknown } = {}) {
    const lines = problems.map(
      (p) => `  ${file}${p.line ? `:${p.line}:${p.column ?? 1}` : ''}  ${p.path || '(root)'}: ${p.message}`,
    );
    super(
      'PRODGUARD_CONFIG_INVALID',
      `${file} has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${lines.join('\n')}`,
      {
        hint: 'Fix the keys above (prodguard config schema prints every allowed key), then run `prodguard config check`.',
        details: { file, problems },
        ...(options.cause !== undefined ? { cause: options.cause } : {}),
      },
    );
    this.file = file;
    this.problems = problems;
  }
}

export class ConfigNotFoundError extends UsageError {
  constructor(searchedFrom: string) {
    super('PRODGUARD_CONFIG_NOT_FOUND', `No prodguard.yaml found in ${searchedFrom} or any parent folder.`, {
      hint: 'Run `prodguard init` in your repository, or pass --config <file>.',
    });
  }
}
