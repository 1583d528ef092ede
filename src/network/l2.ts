import { l2Add, linkIndex, netnsConfigure } from '../kernel/netlink.js';
import { type ContainerRef, CONTAINER_IF } from './bridge.js';
import type { NetworkConfig } from './config.js';
import { buildHosts, resolvConfFor } from './dns.js';
import { NetworkError } from './errors.js';
import { withStore } from './ipam.js';
import { type Cidr, contains, formatIpv4, maskOf, parseIpv4 } from './ipv4.js';
import { releaseLease } from './lease.js';
import type { NetworkPlan, NetworkResult } from './plan.js';
import { readHostRoutes } from './subnet.js';
import type { UndoStack } from '../basic/undo.js';

/**
 * The gateway for an L2 container: the host's default route through PARENT,
 * when its next hop lies in the container's subnet; 0 (none) otherwise.
 */
function gatewayVia(parent: string, subnet: Cidr): number {
  const route = readHostRoutes().find((r) => r.iface === parent && r.dest.prefix === 0 && r.gateway !== 0 && contains(subnet, r.gateway));
  return route?.gateway ?? 0;
}

/**
 * macvlan (mode bridge) / ipvlan (mode l2): eth0 is created on PARENT right
 * inside the container's netns. With --ip ADDR/PREFIX it is addressed (and
 * routed through the host's gateway on that LAN); without, it is left up and
 * unaddressed for a DHCP client in the container. Addresses given with --ip
 * are leased so two containers cannot be given the same one. Note the kernel
 * keeps the host itself from reaching macvlan children through PARENT.
 */
export async function setupL2(cfg: NetworkConfig, plan: NetworkPlan, c: ContainerRef, undo: UndoStack): Promise<NetworkResult> {
  const mode = plan.mode === 'ipvlan' ? 'ipvlan' : 'macvlan';
  const parent = plan.parent ?? '';
  const parentIndex = linkIndex(parent);
  if (parentIndex === null) throw new NetworkError(`--network ${mode}:${parent}: the host has no interface ${parent}`);

  let addr = 0;
  let prefix = 0;
  if (plan.ip) {
    addr = parseIpv4(plan.ip.address) ?? 0;
    prefix = plan.ip.prefix ?? 32;
    const text = plan.ip.address;
    await withStore(cfg, (store) => {
      const holder = Object.entries(store.leases).find(([n, l]) => n !== c.name && l.address === text);
      if (holder) throw new NetworkError(`--ip ${text} is already leased to container ${holder[0]}`);
      store.leases[c.name] = { mode, address: text, prefix, hostIf: null, pid: c.initPid, ports: [] };
    });
    undo.push('release the address lease', () => releaseLease(cfg, c.name));
  }

  // Lives in the container's netns: it goes with it, no undo step of ours.
  l2Add(mode, parentIndex, CONTAINER_IF, c.initPid);
  const subnet = { base: (addr & maskOf(prefix)) >>> 0, prefix };
  netnsConfigure(c.initPid, CONTAINER_IF, addr, prefix, addr === 0 ? 0 : gatewayVia(parent, subnet));

  const address = addr === 0 ? null : formatIpv4(addr);
  return {
    hostIfindices: [],
    addresses: address === null ? [] : [`${address}/${prefix}`],
    resolvConf: resolvConfFor(plan.dns, false),
    hosts: buildHosts(c.hostname, c.name, address),
    undo: async () => {
      await undo.unwind();
    },
  };
}
