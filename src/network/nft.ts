import { containerChain, ruleComment } from './names.js';
import type { PortMapping } from './plan.js';

/**
 * nftables batches as text for `nft -f -` (one process, one atomic
 * transaction). Pure. Everything lives in two tables this module owns,
 * `table inet NAME` and `table bridge NAME`; nothing else on the host is
 * flushed or touched.
 *
 * table inet NAME:
 *   guard        prerouting, raw   drop packets from the bridge aimed at 127/8
 *                                  (route_localnet is on for the bridge, see below)
 *   prerouting   nat dstnat        traffic to a local address -> publish
 *   output       nat dstnat        the same for locally generated traffic
 *                                  (so 127.0.0.1:HOSTPORT works)
 *   publish      regular chain     one `jump ctr-NAME` per container, with
 *                                  comment "tsm:NAME"
 *   ctr-NAME     regular chain     that container's DNAT rules
 *   postrouting  nat srcnat        masquerade: subnet going out, hairpin,
 *                                  127/8 sources DNATed onto the bridge
 *   forward      filter            from the bridge: accept; into the bridge:
 *                                  only replies (ct established,related) and
 *                                  published ports (ct status dnat), the rest
 *                                  dropped; see "Forwarding" below
 *   isolate      regular chain     only when we turned ip_forward on
 * table bridge NAME:
 *   guard        prerouting        a frame a container sends must carry its
 *                                  own MAC and leased IPv4 address (ARP too);
 *                                  anything else from its port is dropped
 *   ports        set of ifname     the host ends of our containers' veths
 *   sources      set of ifname . MAC . IPv4, one element per container
 *
 * Forwarding. ip_forward is host-wide; docker answers that by setting the
 * filter FORWARD policy to DROP when it turned forwarding on itself. A drop
 * in our table is final for the packet, while our accept only ends our
 * chain (other tables still judge it), so our forward chain keeps policy
 * accept and drops only: traffic into the bridge that is neither a reply
 * nor a published port (an unpublished container port is not reachable
 * from a LAN that routes the subnet via this host), and, when the host did
 * not forward before we turned ip_forward on (Firewall.isolate), IPv4
 * forwarded between two interfaces neither of which is a bridge: the host
 * does not become a router for its other interfaces. Other bridges (docker0,
 * virbr0, lxdbr0 made later, finding forwarding on) are left to their own
 * rules. If forwarding was on already, the admin chose it and we add no drop.
 *
 * Anti-spoofing lives in the bridge family because container-to-container
 * frames are switched by the bridge and never reach the inet hooks (unless
 * br_netfilter is loaded). IPv4 addresses come from our IPAM, never DHCP,
 * and the network is IPv4-only, so from a container's port only IPv4 with
 * its leased source and ARP for its own MAC and address pass: IPv6 (router
 * advertisements to the neighbours, CVE-2020-13401), VLAN tags and other
 * ethertypes are dropped. Each container's set elements are added with its
 * DNAT rules and deleted by exact key, so teardown need not list the table.
 *
 * Localhost publishing: DNAT of 127.0.0.1:P in the output hook needs the
 * kernel to route a 127.0.0.1-sourced packet out of the bridge, which it only
 * does with route_localnet=1 on that interface (we set it on the bridge alone,
 * not conf.all), plus a masquerade so the container can answer. The guard
 * chain closes what route_localnet opens (packets from containers to the
 * host's 127/8, CVE-2020-8558). This is what CNI's portmap does; it spares a
 * userland proxy process per port.
 *
 * The base chains are flushed and refilled in every container's batch: their
 * rules depend only on the bridge, subnet and isolation, and rewriting them
 * atomically heals a table someone emptied. publish and ctr-* chains and the
 * sets are never flushed wholesale.
 */
export interface Firewall {
  table: string;
  bridge: string;
  /** CIDR text of the bridge subnet. */
  subnet: string;
  /** Drop IPv4 forwarded between two non-bridge interfaces: we turned ip_forward on (see above). */
  isolate: boolean;
}

/** What the anti-spoofing sets hold for one container. */
export interface BridgePort {
  /** Host end of its veth: the bridge port its frames come in on. */
  hostIf: string;
  /** The MAC of its eth0 (lower-case, colon-separated). */
  mac: string;
  /** Its leased IPv4 address. */
  address: string;
}

const BASE_CHAINS: readonly [string, string][] = [
  ['guard', 'type filter hook prerouting priority raw; policy accept;'],
  ['prerouting', 'type nat hook prerouting priority dstnat; policy accept;'],
  ['output', 'type nat hook output priority -100; policy accept;'],
  ['postrouting', 'type nat hook postrouting priority srcnat; policy accept;'],
  ['forward', 'type filter hook forward priority filter; policy accept;'],
  ['isolate', ''],
];

/** Quotes an interface name for nft (names here never contain quotes: they come from validated config). */
function q(text: string): string {
  return `"${text.replace(/"/g, '')}"`;
}

/** Comment on every base rule: says which bridge and subnet they were written for. */
export function baseMarker(fw: Firewall): string {
  return `tsm-base ${fw.bridge} ${fw.subnet}`;
}

/** "CHAIN RULE" of every base rule. */
function baseRules(fw: Firewall): string[] {
  const br = q(fw.bridge);
  return [
    `guard iifname ${br} ip daddr 127.0.0.0/8 drop`,
    'prerouting fib daddr type local jump publish',
    'output fib daddr type local jump publish',
    `postrouting ip saddr ${fw.subnet} oifname != ${br} masquerade`,
    `postrouting oifname ${br} ip saddr ${fw.subnet} ct status dnat masquerade`,
    `postrouting oifname ${br} ip saddr 127.0.0.0/8 masquerade`,
    `forward iifname ${br} accept`,
    `forward oifname ${br} ct state established,related accept`,
    `forward oifname ${br} ct status dnat accept`,
    `forward oifname ${br} drop`,
    ...(fw.isolate
      ? [
        'forward meta nfproto ipv4 jump isolate',
        // iifkind does not match a device without a link type (a physical
        // NIC) at all, so "is a bridge" returns and everything else drops.
        'isolate meta iifkind "bridge" return',
        'isolate meta oifkind "bridge" return',
        'isolate drop',
      ]
      : []),
  ];
}

/** The bridge-family table's set declarations (idempotent: `add` of an existing set is a no-op). */
function guardDeclarations(fw: { table: string }): string[] {
  const t = `bridge ${fw.table}`;
  return [
    `add table ${t}`,
    `add set ${t} ports { type ifname; }`,
    `add set ${t} sources { type ifname . ether_addr . ipv4_addr; }`,
  ];
}

const ARP_ETHER_IPV4 = 'arp htype 1 arp ptype ip arp hlen 6 arp plen 4';

/** The bridge-family guard chain, rewritten whole like the inet base chains. */
function guardBatch(fw: Firewall): string[] {
  const t = `bridge ${fw.table}`;
  const c = `comment ${q(baseMarker(fw))}`;
  return [
    ...guardDeclarations(fw),
    `add chain ${t} guard { type filter hook prerouting priority filter; policy accept; }`,
    `flush chain ${t} guard`,
    // Ports of other bridges, and of this one not (yet) ours, are not judged here.
    `add rule ${t} guard iifname != @ports accept ${c}`,
    `add rule ${t} guard ether type ip iifname . ether saddr . ip saddr @sources accept ${c}`,
    // The offsets of `arp saddr ip` hold for Ethernet/IPv4 ARP only: anything else is dropped.
    `add rule ${t} guard ether type arp ${ARP_ETHER_IPV4} iifname . ether saddr . arp saddr ip @sources iifname . arp saddr ether . arp saddr ip @sources accept ${c}`,
    `add rule ${t} guard drop ${c}`,
  ];
}

export function baseBatch(fw: Firewall): string {
  const t = `inet ${fw.table}`;
  const lines = [`add table ${t}`];
  for (const [name, spec] of BASE_CHAINS) lines.push(spec === '' ? `add chain ${t} ${name}` : `add chain ${t} ${name} { ${spec} }`);
  lines.push(`add chain ${t} publish`);
  for (const [name] of BASE_CHAINS) lines.push(`flush chain ${t} ${name}`);
  for (const r of baseRules(fw)) lines.push(`add rule ${t} ${r} comment ${q(baseMarker(fw))}`);
  lines.push(...guardBatch(fw));
  return lines.join('\n') + '\n';
}

function element(p: BridgePort): { ports: string; sources: string } {
  return { ports: `{ ${q(p.hostIf)} }`, sources: `{ ${q(p.hostIf)} . ${p.mac} . ${p.address} }` };
}

/** Adds a container's port to the anti-spoofing sets. */
function portElements(fw: { table: string }, p: BridgePort): string[] {
  const t = `bridge ${fw.table}`;
  const e = element(p);
  return [`add element ${t} sources ${e.sources}`, `add element ${t} ports ${e.ports}`];
}

/**
 * Removes a container's port from the anti-spoofing sets whether or not it
 * is there (and the table too): `add` before `delete` in one transaction,
 * as nft 1.0.6 has no `destroy`: teardown runs again after a partial one.
 */
export function portDeleteBatch(fw: { table: string }, p: BridgePort): string {
  const t = `bridge ${fw.table}`;
  const e = element(p);
  return [
    ...guardDeclarations(fw),
    ...portElements(fw, p),
    `delete element ${t} ports ${e.ports}`,
    `delete element ${t} sources ${e.sources}`,
  ].join('\n') + '\n';
}

/**
 * One container's transaction: the base, its port in the anti-spoofing sets,
 * then its DNAT rules. The base goes in every time: it is idempotent (its
 * chains are flushed and refilled in the same transaction, so running
 * containers see no gap, and conntrack keeps their NAT), and one more
 * transaction's worth of rules cost less than listing the table to see
 * whether they are intact (a JSON listing is parsed in JavaScript).
 */
export function containerBatch(fw: Firewall, name: string, port: BridgePort, ports: readonly PortMapping[]): string {
  const base = baseBatch(fw) + portElements(fw, port).join('\n') + '\n';
  if (ports.length === 0) return base;
  const t = `inet ${fw.table}`;
  const chain = containerChain(name);
  const lines = [`add chain ${t} ${chain}`, `flush chain ${t} ${chain}`];
  for (const p of ports) {
    const daddr = p.hostIp ? `ip daddr ${p.hostIp} ` : '';
    lines.push(`add rule ${t} ${chain} meta nfproto ipv4 ${daddr}${p.protocol} dport ${p.hostPort} dnat ip to ${port.address}:${p.containerPort}`);
  }
  lines.push(`add rule ${t} publish jump ${chain} comment ${q(ruleComment(name))}`);
  return base + lines.join('\n') + '\n';
}

/** What `nft -j list table` told us about the table, reduced to what teardown needs. */
export interface TableListing {
  chains: string[];
  rules: { chain: string; handle: number; comment: string | null }[];
}

/** Parses `nft -j list table inet NAME` output. */
export function parseListing(json: string): TableListing {
  const out: TableListing = { chains: [], rules: [] };
  const doc: unknown = JSON.parse(json);
  const items = (doc as { nftables?: unknown }).nftables;
  if (!Array.isArray(items)) return out;
  for (const item of items as Record<string, unknown>[]) {
    const chain = item.chain as { name?: unknown } | undefined;
    if (chain && typeof chain.name === 'string') out.chains.push(chain.name);
    const rule = item.rule as { chain?: unknown; handle?: unknown; comment?: unknown } | undefined;
    if (rule && typeof rule.chain === 'string' && typeof rule.handle === 'number') {
      out.rules.push({ chain: rule.chain, handle: rule.handle, comment: typeof rule.comment === 'string' ? rule.comment : null });
    }
  }
  return out;
}

/** Removes exactly one container's rules: its jumps (by handle) and its chain. Null when it has none. */
export function containerDeleteBatch(fw: Firewall | { table: string }, name: string, listing: TableListing): string | null {
  const t = `inet ${fw.table}`;
  const chain = containerChain(name);
  const comment = ruleComment(name);
  const lines = listing.rules
    .filter((r) => r.comment === comment)
    .map((r) => `delete rule ${t} ${r.chain} handle ${r.handle}`);
  // A chain must be empty and unreferenced to go: the jumps are deleted above.
  if (listing.chains.includes(chain)) lines.push(`flush chain ${t} ${chain}`, `delete chain ${t} ${chain}`);
  return lines.length > 0 ? lines.join('\n') + '\n' : null;
}

/** Deletes both our tables, present or not (an `add` first makes the `delete` always valid). */
export function tableDeleteBatch(table: string): string {
  return ['inet', 'bridge'].map((f) => `add table ${f} ${table}\ndelete table ${f} ${table}\n`).join('');
}
