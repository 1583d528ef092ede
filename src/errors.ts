/**
 * The one error contract of tsmachine. Every module throws its own subclass,
 * carrying the facts a user or a bug report needs (syscall + errno, D-Bus
 * error name, the unit or path). Only the CLI turns them into text and exit
 * codes; nothing else prints.
 */
export abstract class TsmError extends Error {
  /** The module that owns this failure: "spec", "systemd", "kernel", ... */
  abstract readonly module: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad input from the user: a flag, a name, a settings value. */
export class UsageError extends TsmError {
  readonly module = 'cli';
}
