import { containerChain, ruleComment } from './names.js';
import type { PortMapping } from './plan.js';

/**
 * nftables batches as text for `nft -f -` (one process, one atomic
 * transaction). Pure. Everything lives in one table this module owns,
 * `table inet NAME`; nothing else on the host is flushed or touched.
 *
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
 *   forward      filter            accept to and from the bridge
 *
 * Localhost publishing: DNAT of 127.0.0.1:P in the output hook needs the
 * kernel to route a 127.0.0.1-sourced packet out of the bridge, which it only
 * does with route_localnet=1 on that interface (we set it on the bridge alone,
 * not conf.all), plus a masquerade so the container can answer. The guard
 * chain closes what route_localnet opens (packets from containers to the
 * host's 127/8, CVE-2020-8558). This is what CNI's portmap does; it spares a
 * userland proxy process per port.
 *
 * The base chains are flushed and refilled in one batch whenever a setup does
 * not find all their rules (each carries the comment baseMarker(fw)): their
 * rules depend only on the bridge and subnet, and rewriting them atomically
 * heals a table someone emptied. Skipping that when they are intact keeps the
 * common transaction small. publish and ctr-* chains are never flushed
 * wholesale.
 */
export interface Firewall {
  table: string;
  bridge: string;
  /** CIDR text of the bridge subnet. */
  subnet: string;
}

const BASE_CHAINS: readonly [string, string][] = [
  ['guard', 'type filter hook prerouting priority raw; policy accept;'],
  ['prerouting', 'type nat hook prerouting priority dstnat; policy accept;'],
  ['output', 'type nat hook output priority -100; policy accept;'],
  ['postrouting', 'type nat hook postrouting priority srcnat; policy accept;'],
  ['forward', 'type filter hook forward priority filter; policy accept;'],
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
    `forward oifname ${br} accept`,
  ];
}

export function baseBatch(fw: Firewall): string {
  const t = `inet ${fw.table}`;
  const lines = [`add table ${t}`];
  for (const [name, spec] of BASE_CHAINS) lines.push(`add chain ${t} ${name} { ${spec} }`);
  lines.push(`add chain ${t} publish`);
  for (const [name] of BASE_CHAINS) lines.push(`flush chain ${t} ${name}`);
  for (const r of baseRules(fw)) lines.push(`add rule ${t} ${r} comment ${q(baseMarker(fw))}`);
  return lines.join('\n') + '\n';
}

/**
 * One container's transaction: the base, then its DNAT rules. The base goes
 * in every time: it is idempotent (its chains are flushed and refilled in
 * the same transaction, so running containers see no gap, and conntrack
 * keeps their NAT), and one more transaction's worth of rules cost less than
 * listing the table to see whether they are intact (~60 ms in the test VM).
 */
export function containerBatch(fw: Firewall, name: string, address: string, ports: readonly PortMapping[]): string {
  const base = baseBatch(fw);
  if (ports.length === 0) return base;
  const t = `inet ${fw.table}`;
  const chain = containerChain(name);
  const lines = [`add chain ${t} ${chain}`, `flush chain ${t} ${chain}`];
  for (const p of ports) {
    const daddr = p.hostIp ? `ip daddr ${p.hostIp} ` : '';
    lines.push(`add rule ${t} ${chain} meta nfproto ipv4 ${daddr}${p.protocol} dport ${p.hostPort} dnat ip to ${address}:${p.containerPort}`);
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

export function tableDeleteBatch(table: string): string {
  return `delete table inet ${table}\n`;
}
