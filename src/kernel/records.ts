import { KernelError } from './errors.js';
import { EINVAL } from './errno.js';

/**
 * Requests travel to C as one buffer of "key=value\0" records (parsed by
 * native/src/request.c and oci-request.c before any fork): no struct layout
 * to keep in sync, and repeated keys keep their order. Both encoders
 * (kernel/request.ts, kernel/oci.ts) check what they add here, so a bad
 * value is a KernelError in the parent, never a surprise in a forked stage.
 */

/** A value refused before any fork: stage parent, syscall validate. */
export function invalid(what: string, value: string): KernelError {
  return new KernelError({ stage: 'parent', syscall: 'validate', what, errno: EINVAL, path: value });
}

export class Records {
  private parts: string[] = [];
  add(key: string, value: string): void {
    if (value.includes('\0')) throw invalid(`${key} contains NUL`, '');
    this.parts.push(`${key}=${value}\0`);
  }
  buffer(): Buffer {
    return Buffer.from(this.parts.join(''), 'utf8');
  }
}

/** p itself, when it is an absolute path (OCI's values come from JSON: checked to be a string too). */
export function absolute(what: string, p: string): string {
  if (typeof p !== 'string' || !p.startsWith('/')) throw invalid(`${what} must be an absolute path`, String(p));
  return p;
}
