import type { Parsed } from './units.js';

/**
 * --private-users (nspawn's -U / PrivateUsers=, podman's --userns): pure
 * decisions. The effects (reserving a range, chowning the container's own
 * files) are in runtime/userns.ts; the kernel side in native/src/userns.c.
 */

/** A range of host ids: container id n is host id base + n, for n < size. */
export interface IdRange {
  base: number;
  size: number;
}

export type PrivateUsers = { mode: 'no' } | { mode: 'pick' } | ({ mode: 'fixed' } & IdRange);

/** nspawn's pick range: 0x00080000..0x6FFEFFFF, in steps of 64K (a full 16-bit id space each). */
export const PICK_FIRST = 0x00080000;
export const PICK_END = 0x6fff0000;
export const PICK_SIZE = 0x10000;
/** The native stage writes ids as C ints. */
const ID_LIMIT = 2 ** 31;

/**
 * "no" (the default), "pick", or "BASE[:SIZE]" (SIZE default 65536), with
 * nspawn's booleans: yes = pick. BASE 0 would make the container's root the
 * host's root, which is what the option exists to avoid.
 */
export function parsePrivateUsers(text: string): Parsed<PrivateUsers> {
  const t = text.trim().toLowerCase();
  if (['no', 'false', 'off', '0'].includes(t)) return { ok: true, value: { mode: 'no' } };
  if (['pick', 'yes', 'true', 'on'].includes(t)) return { ok: true, value: { mode: 'pick' } };
  const m = /^(\d+)(?::(\d+))?$/.exec(t);
  if (!m) return { ok: false, reason: "is not 'pick', 'no' or BASE[:SIZE]" };
  const base = Number(m[1]);
  const size = m[2] === undefined ? PICK_SIZE : Number(m[2]);
  if (base < PICK_SIZE) return { ok: false, reason: `starts below ${PICK_SIZE}, among the host's own users` };
  if (size < 1) return { ok: false, reason: 'maps no ids' };
  if (base + size > ID_LIMIT) return { ok: false, reason: `ends above ${ID_LIMIT - 1}` };
  return { ok: true, value: { mode: 'fixed', base, size } };
}

export function overlaps(a: IdRange, b: IdRange): boolean {
  return a.base < b.base + b.size && b.base < a.base + a.size;
}

/** FNV-1a: a stable start slot per name, so a name tends to get the same range again. */
function hash(name: string): number {
  let h = 0x811c9dc5;
  for (const c of Buffer.from(name, 'utf8')) h = Math.imul(h ^ c, 0x01000193) >>> 0;
  return h;
}

/** The first free 64K slot from the name's own slot on; null when every slot is taken. */
export function pickRange(name: string, taken: readonly IdRange[]): IdRange | null {
  const slots = (PICK_END - PICK_FIRST) / PICK_SIZE;
  const start = hash(name) % slots;
  for (let i = 0; i < slots; i++) {
    const r = { base: PICK_FIRST + ((start + i) % slots) * PICK_SIZE, size: PICK_SIZE };
    if (!taken.some((t) => overlaps(t, r))) return r;
  }
  return null;
}

/** /etc/subuid and /etc/subgid ("user:start:count" lines): ranges given to users' own containers. */
export function parseSubIds(text: string): IdRange[] {
  const out: IdRange[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(':');
    if (f.length !== 3 || !/^\d+$/.test(f[1]!) || !/^\d+$/.test(f[2]!)) continue;
    out.push({ base: Number(f[1]), size: Number(f[2]) });
  }
  return out;
}
