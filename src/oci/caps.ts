/**
 * process.capabilities: CAP_* names → the stage's 64-bit masks, numbered as
 * the kernel does (kernel/caps.ts). A well-formed name this table lacks (a
 * capability newer than it) is skipped with a warning, as runc does, so a
 * config.json written for a newer kernel still runs; anything else is an error.
 */
import { CAPABILITIES } from '../kernel/caps.js';
import type { OciCapSets } from '../kernel/oci-types.js';
import { OciConfigError, at } from './errors.js';
import type { LinuxCapabilities } from './spec.js';

export const CAP_SET_NAMES = ['bounding', 'effective', 'inheritable', 'permitted', 'ambient'] as const;

/** Every capability name this runtime knows, CAP_-prefixed (features.json). */
export const KNOWN_CAPABILITIES: readonly string[] = CAPABILITIES.map((c) => `CAP_${c}`);

export function capabilityMaskOf(names: readonly string[], path: string, warnings: string[]): bigint {
  let mask = 0n;
  names.forEach((name, i) => {
    const n = CAPABILITIES.indexOf(name.startsWith('CAP_') ? name.slice(4) : '');
    if (n >= 0) {
      mask |= 1n << BigInt(n);
    } else if (/^CAP_[A-Z0-9_]+$/.test(name)) {
      warnings.push(`${at(path, i)}: capability ${name} is not known to this runtime; skipped`);
    } else {
      throw new OciConfigError(at(path, i), `'${name}' is not a capability name (CAP_SYS_ADMIN, ...)`);
    }
  });
  return mask;
}

/** The five sets; a set left out is empty (the runtime-spec has no defaults for them). */
export function capabilitySets(caps: LinuxCapabilities | undefined, path: string, warnings: string[]): OciCapSets {
  const out = { bounding: 0n, effective: 0n, inheritable: 0n, permitted: 0n, ambient: 0n };
  for (const set of CAP_SET_NAMES) out[set] = capabilityMaskOf(caps?.[set] ?? [], at(path, set), warnings);
  return out;
}
