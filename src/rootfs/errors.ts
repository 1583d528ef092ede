import { TsmError } from '../errors.js';

export class RootfsError extends TsmError {
  readonly module = 'rootfs';
  constructor(message: string, readonly path: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
