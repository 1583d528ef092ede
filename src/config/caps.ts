/**
 * Capabilities by name, and the set a container's processes keep: docker's
 * default set changed by --cap-add/--cap-drop (nspawn's Capability= and
 * DropCapability=), or every capability with --privileged. Pure; the native
 * stage gets the result as one 64-bit mask (native/src/caps.c).
 */
import { CAPABILITIES, DEFAULT_CAPABILITIES, capabilityMask } from '../kernel/caps.js';

export { CAPABILITIES, DEFAULT_CAPABILITIES };

/** Every bit: the stage keeps whatever of these the kernel has (capabilities it does not know are never set). */
export const ALL_CAPABILITIES_MASK = (1n << 64n) - 1n;

/**
 * "CAP_SYS_ADMIN", "sys_admin", "SYS_ADMIN" → "SYS_ADMIN"; "all"/"ALL" → "ALL";
 * null for a name this runtime does not know.
 */
export function capabilityName(text: string): string | null {
  const up = text.trim().toUpperCase();
  if (up === 'ALL') return 'ALL';
  const bare = up.startsWith('CAP_') ? up.slice(4) : up;
  return CAPABILITIES.includes(bare) ? bare : null;
}

/**
 * The kept set, with docker's rules (moby TweakCapabilities): ALL in add
 * starts from every capability, ALL in drop from none; then the named drops
 * come off and the named adds go on (a cap both added and dropped by name is
 * dropped, the safer reading).
 */
export function capabilitySet(add: readonly string[], drop: readonly string[], privileged: boolean): bigint {
  if (privileged || add.includes('ALL')) {
    let mask = ALL_CAPABILITIES_MASK;
    if (!privileged) for (const c of drop) if (c !== 'ALL') mask &= ~bit(c);
    return mask;
  }
  let mask = drop.includes('ALL') ? 0n : capabilityMask(DEFAULT_CAPABILITIES);
  for (const c of add) mask |= bit(c);
  for (const c of drop) if (c !== 'ALL') mask &= ~bit(c);
  return mask;
}

/** The names in a mask, for messages and tests. */
export function capabilityNames(mask: bigint): string[] {
  return CAPABILITIES.filter((_, i) => (mask >> BigInt(i)) & 1n);
}

function bit(name: string): bigint {
  return capabilityMask([name]);
}
