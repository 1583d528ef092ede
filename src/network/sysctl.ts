import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NetworkError } from './errors.js';

/**
 * Writes VALUE to /proc/sys/<segments> unless it is already set. Segments,
 * not a dotted key, because interface names may contain dots.
 */
export function sysctl(segments: readonly string[], value: string): void {
  const path = join('/proc/sys', ...segments);
  try {
    if (readFileSync(path, 'utf8').trim() === value) return;
    writeFileSync(path, value);
  } catch (e) {
    throw new NetworkError(`sysctl ${segments.join('.')}=${value}: ${(e as Error).message}`, { cause: e });
  }
}
