import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NetworkError } from './errors.js';

/**
 * Writes VALUE to /proc/sys/<segments> unless it is already set; returns
 * whether it wrote. Segments, not a dotted key, because interface names may
 * contain dots.
 */
export function sysctl(segments: readonly string[], value: string): boolean {
  const path = join('/proc/sys', ...segments);
  try {
    if (readFileSync(path, 'utf8').trim() === value) return false;
    writeFileSync(path, value);
    return true;
  } catch (e) {
    throw new NetworkError(`sysctl ${segments.join('.')}=${value}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * The same for a setting that may not exist: /proc/sys/net/ipv6 is absent
 * on a host booted with ipv6.disable=1, and then there is nothing to harden.
 */
export function sysctlIfPresent(segments: readonly string[], value: string): void {
  if (!existsSync(join('/proc/sys', ...segments))) return;
  sysctl(segments, value);
}
