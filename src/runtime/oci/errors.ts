import { TsmError } from '../../errors.js';

/**
 * tsmachine-oci's own failures: the container's state says no (a second
 * start, a delete of a running container without --force), a hook failed,
 * the caller asked for something this runtime cannot honour.
 */
export class OciRuntimeError extends TsmError {
  readonly module = 'oci';
  constructor(message: string, readonly id: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The words podman matches ("does not exist") to tell a vanished container from a failure. */
export class NoSuchContainerError extends OciRuntimeError {
  constructor(id: string) {
    super(`container ${id} does not exist`, id);
  }
}

/** A hook that could not run, exited non-zero or outlived its timeout. */
export class HookError extends OciRuntimeError {
  constructor(id: string, readonly kind: string, readonly path: string, detail: string) {
    super(`${kind} hook ${path}: ${detail}`, id);
  }
}
