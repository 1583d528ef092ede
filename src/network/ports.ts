import { NetworkError } from './errors.js';
import { type BoundSocket, boundConflict } from './host-ports.js';
import type { IpamStore } from './ipam.js';
import type { PortMapping } from './plan.js';
import { formatPublish, samePublishedPort } from './publish.js';

/**
 * Refuses ports another container publishes (the store's leases record them)
 * or a host socket is bound to (DNAT would silently steal its traffic).
 */
export function checkPortsFree(store: IpamStore, name: string, ports: readonly PortMapping[], sockets: readonly BoundSocket[]): void {
  for (const p of ports) {
    for (const [other, lease] of Object.entries(store.leases)) {
      if (other === name) continue;
      const clash = lease.ports.find((q) => samePublishedPort(p, q));
      if (clash) throw new NetworkError(`--publish ${formatPublish(p)}: host port ${p.hostPort}/${p.protocol} is already published by container ${other}`);
    }
    const bound = boundConflict(p, sockets);
    if (bound) throw new NetworkError(`--publish ${formatPublish(p)}: host port ${p.hostPort}/${p.protocol} is already in use by a process on the host`);
  }
}

/**
 * A published host address must be one of this host's: a DNAT rule for an
 * address no interface has never matches, and the user would wait for
 * traffic that cannot come (docker fails the same way, binding its proxy).
 */
export function checkHostAddressesLocal(ports: readonly PortMapping[], local: readonly string[]): void {
  for (const p of ports) {
    if (p.hostIp !== null && !local.includes(p.hostIp)) {
      throw new NetworkError(`--publish ${formatPublish(p)}: ${p.hostIp} is not an address of this host`);
    }
  }
}
