import { readFileSync } from 'node:fs';
import { NetworkError } from './errors.js';
import { type Cidr, formatCidr, overlaps, parseCidr, requireCidr } from './ipv4.js';

/** A host route as /proc/net/route lists it (IPv4, main table). */
export interface HostRoute {
  iface: string;
  dest: Cidr;
  /** Next hop; 0 for a directly connected route. */
  gateway: number;
}

/** Tried in order when TSMACHINE_SUBNET is not set: podman's default first, then its neighbours. */
export const SUBNET_CANDIDATES: readonly string[] = [
  '10.88.0.0/16', '10.89.0.0/16', '10.90.0.0/16', '10.91.0.0/16', '10.92.0.0/16', '10.93.0.0/16',
  '172.29.0.0/16', '172.30.0.0/16', '192.168.239.0/24',
];

/**
 * The subnet for the bridge. OWN_BRIDGE's routes are ours, so they never
 * count as collisions. Default routes (/0) do not collide with anything.
 */
export function chooseSubnet(routes: readonly HostRoute[], ownBridge: string, fixed: string | null): Cidr {
  const foreign = routes.filter((r) => r.iface !== ownBridge && r.dest.prefix > 0);
  const clash = (c: Cidr): HostRoute | undefined => foreign.find((r) => overlaps(r.dest, c));
  if (fixed !== null) {
    const c = requireCidr(fixed, 'TSMACHINE_SUBNET');
    const r = clash(c);
    if (r) throw new NetworkError(`TSMACHINE_SUBNET ${fixed} collides with the host route ${formatCidr(r.dest)} on ${r.iface}`);
    return c;
  }
  for (const text of SUBNET_CANDIDATES) {
    const c = parseCidr(text);
    if (c && !clash(c)) return c;
  }
  throw new NetworkError(`every candidate subnet (${SUBNET_CANDIDATES.join(', ')}) collides with a host route; set TSMACHINE_SUBNET`);
}

/**
 * /proc/net/route prints each __be32 as a native-endian hex number: the
 * number's bytes in this machine's order (a typed array's) are the address's.
 */
function procHexToIpv4(hex: string): number {
  return Buffer.from(new Uint32Array([parseInt(hex, 16) >>> 0]).buffer).readUInt32BE(0);
}

function prefixOfMask(mask: number): number {
  let p = 0;
  while (p < 32 && (mask & (0x80000000 >>> p)) !== 0) p++;
  return p;
}

/** Parses the text of /proc/net/route. */
export function parseProcRoutes(text: string): HostRoute[] {
  const routes: HostRoute[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const dest = procHexToIpv4(f[1] ?? '0');
    const prefix = prefixOfMask(procHexToIpv4(f[7] ?? '0'));
    routes.push({ iface: f[0] ?? '', dest: { base: dest, prefix }, gateway: procHexToIpv4(f[2] ?? '0') });
  }
  return routes;
}

export function readHostRoutes(): HostRoute[] {
  return parseProcRoutes(readFileSync('/proc/net/route', 'utf8'));
}
