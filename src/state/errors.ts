import { TsmError } from '../errors.js';

export class StateError extends TsmError {
  readonly module = 'state';
  constructor(message: string, readonly path: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
