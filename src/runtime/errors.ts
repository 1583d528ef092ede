import { TsmError } from '../errors.js';

/** A request that conflicts with the container's current state. */
export class ContainerStateError extends TsmError {
  readonly module = 'runtime';
  constructor(readonly container: string, message: string) {
    super(message);
  }
}

/** The start failed; carries what the undo could not clean, for the bug report. */
export class StartError extends TsmError {
  readonly module = 'runtime';
  constructor(readonly container: string, readonly original: unknown, readonly undoFailures: string[]) {
    super(
      (original as Error).message + (undoFailures.length ? ` (and cleanup failed: ${undoFailures.join('; ')})` : ''),
      { cause: original },
    );
  }
}
