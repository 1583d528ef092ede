import { KernelError } from '../kernel/errors.js';
import { TsmError } from '../errors.js';
import { NetworkError } from './errors.js';

/**
 * The module's one error type at its boundary: kernel failures become a
 * NetworkError naming the container, keeping the original as cause.
 */
export function asNetworkError(e: unknown, name: string): TsmError {
  if (e instanceof NetworkError) return e;
  if (e instanceof KernelError) return new NetworkError(`network of ${name}: ${e.message}`, { cause: e });
  if (e instanceof TsmError) return e;
  return new NetworkError(`network of ${name}: ${(e as Error)?.message ?? String(e)}`, { cause: e });
}
