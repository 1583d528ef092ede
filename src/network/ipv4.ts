import { NetworkError } from './errors.js';

/**
 * IPv4 arithmetic on host-order unsigned 32-bit numbers (the form the native
 * netlink calls take). Pure; used by option parsing, IPAM and subnet choice.
 */

export interface Cidr {
  /** Network address (host bits zero). */
  readonly base: number;
  readonly prefix: number;
}

/** Parses dotted-quad "10.88.0.2" strictly (no leading zeros, 4 parts); null when it is not one. */
export function parseIpv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let v = 0;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    v = v * 256 + n;
  }
  return v >>> 0;
}

export function formatIpv4(v: number): string {
  return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
}

export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** "10.88.0.0/16"; host bits must be zero. Null when malformed. */
export function parseCidr(text: string): Cidr | null {
  const m = /^([0-9.]+)\/([0-9]{1,2})$/.exec(text);
  if (!m) return null;
  const base = parseIpv4(m[1] ?? '');
  const prefix = Number(m[2]);
  if (base === null || prefix > 32) return null;
  if (((base & maskOf(prefix)) >>> 0) !== base) return null;
  return { base, prefix };
}

export function formatCidr(c: Cidr): string {
  return `${formatIpv4(c.base)}/${c.prefix}`;
}

export function contains(c: Cidr, addr: number): boolean {
  return ((addr & maskOf(c.prefix)) >>> 0) === c.base;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  const p = Math.min(a.prefix, b.prefix);
  const m = maskOf(p);
  return ((a.base & m) >>> 0) === ((b.base & m) >>> 0);
}

/** The gateway is the first host address of the subnet (.1). */
export function gatewayOf(c: Cidr): number {
  return (c.base + 1) >>> 0;
}

export function broadcastOf(c: Cidr): number {
  return (c.base | ~maskOf(c.prefix)) >>> 0;
}

/** Parses a subnet given by the user or the environment, or throws. */
export function requireCidr(text: string, what: string): Cidr {
  const c = parseCidr(text);
  if (!c) throw new NetworkError(`${what}: "${text}" is not an IPv4 subnet like 10.88.0.0/16`);
  if (c.prefix < 8 || c.prefix > 29) throw new NetworkError(`${what}: ${text}: prefix must be between /8 and /29`);
  return c;
}
