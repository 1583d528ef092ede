import { TsmError } from '../../errors.js';

/**
 * A settings file that cannot be used: unreadable, malformed, or a value
 * that does not parse. The message already starts with "FILE:LINE: " so the
 * CLI can print it as is, the way systemd logs "[FILE:LINE] ...".
 */
export class SettingsError extends TsmError {
  readonly module = 'config';
  readonly file: string;
  /** 1-based; undefined when the failure is about the whole file (cannot read it). */
  readonly line: number | undefined;

  constructor(file: string, line: number | undefined, detail: string, options?: { cause?: unknown }) {
    super(`${line === undefined ? file : `${file}:${line}`}: ${detail}`, options);
    this.file = file;
    this.line = line;
  }
}

/**
 * Thrown by the value parsers, which know nothing of files: the table layer
 * catches it and rethrows a SettingsError naming the key, file and line.
 */
export class InvalidValue extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = 'InvalidValue';
  }
}
