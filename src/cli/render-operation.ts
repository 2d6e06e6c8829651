import { redactValue } from '../kernel/redact.js';
import type { TypedEvents } from '../kernel/typed-events.js';
import type { OperationEventMap, StepResult } from '../operations/index.js';
import type { CliIo } from './io.js';
import { type Style, SYMBOL } from './render.js';

const secs = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

/** The mark of a step, the same for every kind of operation. */
function stepSymbol(status: StepResult['status'], s: Style): string {
  if (status === 'Success') return s.ok(SYMBOL.pass);
  if (status === 'Error') return s.bad(SYMBOL.fail);
  if (status === 'Skipped') return s.dim('↷');
  return s.dim(SYMBOL.skipped);
}

/** One line per step of a finished (or interrupted) operation: what `resume`, `abort` and results print. */
export function renderSteps(steps: readonly StepResult[], s: Style): string {
  return steps
    .map((step) =>
      `  ${stepSymbol(step.status, s)} ${step.name.padEnd(16)} ${step.elapsedMs !== undefined ? secs(step.elapsedMs).padStart(7) : '       '}  ${step.detail ?? (step.status === 'NotExecuted' ? s.dim('not run') : '')}`.trimEnd(),
    )
    .join('\n');
}

/**
 * Live rendering of any operation's events: a line per step as it finishes, interruptions found, and the
 * end; with --json one NDJSON object per event (secrets masked). Domains add their own events on top.
 */
export function renderOperationEvents<M extends OperationEventMap>(
  io: CliIo,
  events: TypedEvents<M>,
  s: Style,
  json: boolean,
): void {
  if (json) {
    events.onAny((name, payload) => {
      io.stdout(`${JSON.stringify(redactValue({ event: name, ...(payload as object) }))}\n`);
    });
    return;
  }
  const common = events as unknown as TypedEvents<OperationEventMap>;
  common.on('operation:interrupted-found', (e) =>
    io.stderr(
      `${s.warn('!')} ${e.kind} ${e.operationId} on ${e.environment} was interrupted at "${e.step ?? 'start'}"\n`,
    ),
  );
  common.on('step:finished', (e) =>
    io.stdout(
      `  ${e.ok ? s.ok(SYMBOL.pass) : s.bad(SYMBOL.fail)} ${e.step.padEnd(16)} ${secs(e.elapsedMs).padStart(7)}  ${e.detail ?? ''}\n`,
    ),
  );
}
