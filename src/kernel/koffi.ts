import { createRequire } from 'node:module';

type Koffi = typeof import('koffi');
let mod: Koffi | null = null;

/**
 * koffi, loaded on the first FFI call rather than when the CLI bundle loads:
 * it costs ~18 ms on the host and far more in the test VM, and verbs like
 * `--help`, `list` or `status` never call into native code.
 */
export function koffi(): Koffi {
  return (mod ??= createRequire(import.meta.url)('koffi') as Koffi);
}
