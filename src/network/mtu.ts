import { readFileSync } from 'node:fs';
import type { HostRoute } from './subnet.js';

/**
 * The MTU a container's veth gets: that of the host's default-route
 * interface, as netavark does. A host on a 1450-byte cloud overlay would
 * otherwise hand containers 1500, and large packets would vanish into
 * path-MTU black holes. 0 (the kernel's 1500) without a default route.
 */
export function uplinkMtu(routes: readonly HostRoute[], readMtu: (iface: string) => number | null): number {
  const uplink = routes.find((r) => r.dest.prefix === 0);
  if (!uplink) return 0;
  const mtu = readMtu(uplink.iface);
  return mtu !== null && Number.isInteger(mtu) && mtu >= 576 ? mtu : 0;
}

/** /sys/class/net/IFACE/mtu, or null. */
export function sysfsMtu(iface: string): number | null {
  try {
    return Number(readFileSync(`/sys/class/net/${iface}/mtu`, 'utf8').trim());
  } catch {
    return null;
  }
}
