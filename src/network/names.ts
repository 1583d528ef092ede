import { crypto } from '../builtins.js';

/** Linux interface names are at most 15 bytes (IFNAMSIZ - 1). */
const IFNAMSIZ_MAX = 15;

function shortHash(text: string, length: number): string {
  return crypto().createHash('sha256').update(text).digest('hex').slice(0, length);
}

/**
 * Host end of a container's veth: "vt-NAME", or when that is too long or has
 * characters an interface name cannot have, "vt-" + the name's first 7
 * characters + 5 hex of its hash, so distinct names stay distinct.
 */
export function hostVethName(container: string): string {
  const plain = `vt-${container}`;
  if (Buffer.byteLength(plain) <= IFNAMSIZ_MAX && /^[A-Za-z0-9_.-]+$/.test(container)) return plain;
  const head = container.replace(/[^A-Za-z0-9_.-]/g, '').slice(0, 7);
  return `vt-${head}${shortHash(container, IFNAMSIZ_MAX - 3 - head.length)}`;
}

/**
 * nft chain holding a container's DNAT rules: "ctr-NAME" when NAME is a plain
 * nft identifier, else "ctr-" + a hash (the rule comment still names it).
 */
export function containerChain(container: string): string {
  if (/^[A-Za-z0-9_.-]{1,64}$/.test(container)) return `ctr-${container}`;
  return `ctr-${shortHash(container, 16)}`;
}

/** Comment on the rules of one container: how teardown finds exactly them (no quotes can reach nft's syntax). */
export function ruleComment(container: string): string {
  if (/^[A-Za-z0-9_.-]{1,100}$/.test(container)) return `tsm:${container}`;
  return `tsm:#${shortHash(container, 16)}`;
}

/**
 * The MAC of a bridged container's eth0, from its address as docker derives
 * its 02:42:… ones: locally administered unicast (02), a fixed byte, the
 * four bytes of the IPv4 address. Set by us rather than left random so the
 * anti-spoofing rules (nft.ts) and their removal know it from the lease
 * alone, and so a reused address keeps its MAC in the neighbours' ARP caches.
 */
export function containerMac(address: string): string {
  const bytes = [0x02, 0x74, ...address.split('.').map(Number)];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** "02:74:0a:58:00:02" as 6 bytes. */
export function macBytes(mac: string): Uint8Array {
  return Uint8Array.from(mac.split(':').map((h) => parseInt(h, 16)));
}
