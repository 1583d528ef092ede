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

/** The container's directories or the /etc files written into its upper dir (before the init stage builds the root). */
export class RootfsError extends TsmError {
  readonly module = 'rootfs';
  constructor(message: string, readonly path: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
