import { net } from '../builtins.js';
import { NetworkError } from './errors.js';
import { parseIpv4 } from './ipv4.js';
import type { NetworkMode, NetworkPlan, PortMapping, StaticIp } from './plan.js';
import { formatPublish, parsePublish, samePublishedPort } from './publish.js';

/** The network fields of ContainerOptions, still as the user typed them. */
export interface NetworkOptions {
  network?: string;
  ip?: string;
  publish?: string[];
  dns?: string[];
}

/** Interface names as the kernel accepts them (dev_valid_name), minus ':' which `ip` reads as an alias. */
const IFNAME = /^[^\s/:]{1,15}$/;

/**
 * Validates --network/--ip/--publish/--dns into a NetworkPlan. Pure: nothing
 * on the host is looked at (a missing parent interface, a taken address or
 * port are found by setupNetwork). Throws NetworkError with one line.
 */
export function parseNetworkOptions(o: NetworkOptions): NetworkPlan {
  const { mode, parent } = parseMode(o.network ?? 'bridge');
  const ip = o.ip === undefined || o.ip === '' ? null : parseStaticIp(o.ip, mode);
  const publish = (o.publish ?? []).map(parsePublish);
  if (publish.length > 0 && mode !== 'bridge') {
    throw new NetworkError(`--publish needs --network bridge (the container has ${mode === 'host' ? "the host's" : 'no NATed'} network with --network ${mode})`);
  }
  rejectDuplicates(publish);
  const dns = (o.dns ?? []).map((d) => {
    if (net().isIP(d) === 0) throw new NetworkError(`--dns "${d}" is not an IP address`);
    return d;
  });
  return { mode, parent, ip, publish, dns };
}

function parseMode(text: string): { mode: NetworkMode; parent: string | null } {
  const colon = text.indexOf(':');
  const kind = colon < 0 ? text : text.slice(0, colon);
  const arg = colon < 0 ? null : text.slice(colon + 1);
  switch (kind) {
    case 'bridge':
    case 'none':
    case 'host':
      if (arg !== null) throw new NetworkError(`--network ${text}: ${kind} takes no ":" argument`);
      return { mode: kind, parent: null };
    case 'macvlan':
    case 'ipvlan':
      if (!arg) throw new NetworkError(`--network ${text}: name the parent interface, as in ${kind}:eth0`);
      if (!IFNAME.test(arg)) throw new NetworkError(`--network ${text}: "${arg}" is not an interface name`);
      return { mode: kind, parent: arg };
    default:
      throw new NetworkError(`--network "${text}": unknown mode (bridge, none, host, macvlan:PARENT, ipvlan:PARENT)`);
  }
}

function parseStaticIp(text: string, mode: NetworkMode): StaticIp {
  if (mode === 'none' || mode === 'host') throw new NetworkError(`--ip cannot be used with --network ${mode}`);
  const [addr = '', prefixText, ...extra] = text.split('/');
  const v = parseIpv4(addr);
  if (v === null || extra.length > 0) throw new NetworkError(`--ip "${text}" is not an IPv4 address`);
  if (mode === 'bridge') {
    if (prefixText !== undefined) throw new NetworkError(`--ip ${text}: give the address alone; the bridge subnet sets the prefix`);
    return { address: addr, prefix: null };
  }
  if (prefixText === undefined) throw new NetworkError(`--ip ${text}: --network ${mode} needs ADDRESS/PREFIX, as in 192.168.1.50/24`);
  if (!/^[0-9]{1,2}$/.test(prefixText) || Number(prefixText) < 1 || Number(prefixText) > 32) {
    throw new NetworkError(`--ip ${text}: prefix must be 1-32`);
  }
  return { address: addr, prefix: Number(prefixText) };
}

function rejectDuplicates(publish: PortMapping[]): void {
  publish.forEach((p, i) => {
    const earlier = publish.slice(0, i).find((q) => samePublishedPort(p, q));
    if (earlier) throw new NetworkError(`--publish ${formatPublish(p)}: host port ${p.hostPort}/${p.protocol} is already given as ${formatPublish(earlier)}`);
  });
}
