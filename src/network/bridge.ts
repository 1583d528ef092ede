import { addrAdd, brportHairpin, bridgeAdd, linkDel, linkIndex, linkSet, netnsConfigure, vethAdd } from '../kernel/netlink.js';
import type { NetworkConfig } from './config.js';
import { buildHosts, resolvConfFor } from './dns.js';
import { NetworkError } from './errors.js';
import { readBoundSockets } from './host-ports.js';
import { type IpamStore, allocateAddress, bridgeLeases, withStore } from './ipam.js';
import { type Cidr, formatCidr, formatIpv4, gatewayOf, parseCidr, parseIpv4 } from './ipv4.js';
import { releaseLease } from './lease.js';
import { containerMac, hostVethName, macBytes } from './names.js';
import { sysfsMtu, uplinkMtu } from './mtu.js';
import { containerBatch } from './nft.js';
import { nftApply } from './nft-run.js';
import type { NetworkPlan, NetworkResult } from './plan.js';
import { checkPortsFree } from './ports.js';
import { removeContainerRules } from './rules.js';
import { chooseSubnet, readHostRoutes } from './subnet.js';
import { sysctl, sysctlIfPresent } from './sysctl.js';
import type { UndoStack } from '../basic/undo.js';

export interface ContainerRef {
  name: string;
  initPid: number;
  hostname: string;
}

/** Name of the container's interface inside its netns. */
export const CONTAINER_IF = 'eth0';

/**
 * The bridge with its gateway address, up; created on first use. Also turns
 * on forwarding (recording in the store when it was we who did, see nft.ts),
 * and route_localnet on the bridge alone (see nft.ts: DNAT of 127.0.0.1
 * needs it). The bridge takes no IPv6 router advertisements: a container
 * must not be able to give the host a default route (CVE-2020-13401; the
 * bridge-family guard drops a container's IPv6 anyway). Idempotent.
 */
function ensureBridge(bridge: string, subnet: Cidr, store: IpamStore): number {
  const index = linkIndex(bridge) ?? bridgeAdd(bridge);
  sysctlIfPresent(['net', 'ipv6', 'conf', bridge, 'accept_ra'], '0');
  addrAdd(index, gatewayOf(subnet), subnet.prefix);
  linkSet(index, { up: true });
  if (sysctl(['net', 'ipv4', 'ip_forward'], '1')) store.forwardingOurs = true;
  sysctl(['net', 'ipv4', 'conf', bridge, 'route_localnet'], '1');
  return index;
}

/**
 * The subnet in use while bridge leases exist (a different TSMACHINE_SUBNET
 * then is an error: the running containers hold addresses of the old one),
 * else a fresh choice against the host's routes.
 */
function subnetFor(cfg: NetworkConfig, storeSubnet: string | null, leased: boolean): Cidr {
  const current = storeSubnet === null ? null : parseCidr(storeSubnet);
  if (current && leased) {
    if (cfg.subnet !== null && cfg.subnet !== storeSubnet) {
      throw new NetworkError(`TSMACHINE_SUBNET ${cfg.subnet} differs from ${storeSubnet}, which running containers use`);
    }
    return current;
  }
  return chooseSubnet(readHostRoutes(), cfg.bridge, cfg.subnet);
}

/**
 * Bridge mode: lease an address (and create the bridge) under the IPAM lock,
 * then a veth whose peer is created as eth0 right inside the container's
 * netns with a MAC derived from the address, the container's nft rules in
 * one batch (its anti-spoofing elements among them), and only then the port
 * joins the bridge, so no frame of it passes unjudged; the container side is
 * configured by a forked native child. Registers an undo step after each piece.
 */
export async function setupBridge(cfg: NetworkConfig, plan: NetworkPlan, c: ContainerRef, undo: UndoStack): Promise<NetworkResult> {
  const hostIf = hostVethName(c.name);
  const grant = await withStore(cfg, (store) => {
    const subnet = subnetFor(cfg, store.subnet, bridgeLeases(store).length > 0);
    checkPortsFree(store, c.name, plan.publish, plan.publish.length > 0 ? readBoundSockets() : []);
    const requested = plan.ip ? parseIpv4(plan.ip.address) : null;
    const address = allocateAddress(store, subnet, requested);
    // Under the lock, so the teardown of the last container cannot delete the bridge meanwhile.
    const bridgeIndex = ensureBridge(cfg.bridge, subnet, store);
    store.subnet = formatCidr(subnet);
    store.leases[c.name] = {
      mode: 'bridge', address: formatIpv4(address), prefix: subnet.prefix, hostIf, pid: c.initPid, ports: plan.publish,
    };
    return { subnet, address, bridgeIndex, isolate: store.forwardingOurs === true };
  });
  undo.push('release the address lease', () => releaseLease(cfg, c.name));

  const address = formatIpv4(grant.address);
  const mac = containerMac(address);
  const ifindex = vethAdd(hostIf, CONTAINER_IF, c.initPid, uplinkMtu(readHostRoutes(), sysfsMtu), macBytes(mac));
  undo.push(`delete ${hostIf}`, () => linkDel(hostIf));
  // A bridge port needs no IPv6 of its own (no link-local address, no RA).
  sysctlIfPresent(['net', 'ipv6', 'conf', hostIf, 'disable_ipv6'], '1');

  const fw = { table: cfg.table, bridge: cfg.bridge, subnet: formatCidr(grant.subnet), isolate: grant.isolate };
  undo.push('remove the nft rules', () => removeContainerRules(cfg.table, c.name));
  await nftApply(containerBatch(fw, c.name, { hostIf, mac, address }, plan.publish), `rules of ${c.name}`);

  linkSet(ifindex, { master: grant.bridgeIndex, up: true });
  // A container calling its own published port comes back through its own port.
  brportHairpin(ifindex, true);
  netnsConfigure(c.initPid, CONTAINER_IF, grant.address, grant.subnet.prefix, gatewayOf(grant.subnet));

  return {
    hostIfindices: [ifindex],
    addresses: [`${address}/${grant.subnet.prefix}`],
    resolvConf: resolvConfFor(plan.dns, false),
    hosts: buildHosts(c.hostname, c.name, address),
    undo: async () => {
      await undo.unwind();
    },
  };
}
