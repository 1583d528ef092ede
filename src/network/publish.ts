import { NetworkError } from './errors.js';
import { parseIpv4 } from './ipv4.js';
import type { PortMapping, PortProtocol } from './plan.js';

/** Parses one -p/--publish "[HOSTIP:]HOSTPORT:CPORT[/tcp|udp]" (docker/podman syntax, IPv4 only). */
export function parsePublish(spec: string): PortMapping {
  const bad = (why: string): NetworkError => new NetworkError(`--publish ${JSON.stringify(spec)}: ${why}`);
  let rest = spec.trim();
  let protocol: PortProtocol = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    const proto = rest.slice(slash + 1).toLowerCase();
    if (proto !== 'tcp' && proto !== 'udp') throw bad(`unknown protocol "${proto}" (tcp or udp)`);
    protocol = proto;
    rest = rest.slice(0, slash);
  }
  const parts = rest.split(':');
  if (parts.length < 2 || parts.length > 3) throw bad('expected [HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|udp]');
  let hostIp: string | null = null;
  if (parts.length === 3) {
    const ip = parts[0] ?? '';
    if (ip !== '') {
      if (parseIpv4(ip) === null) throw bad(`"${ip}" is not an IPv4 address`);
      hostIp = ip === '0.0.0.0' ? null : ip;
    }
  }
  const hostPort = parsePort(parts[parts.length - 2] ?? '', 'host port', bad);
  const containerPort = parsePort(parts[parts.length - 1] ?? '', 'container port', bad);
  return { hostIp, hostPort, containerPort, protocol };
}

function parsePort(text: string, what: string, bad: (why: string) => NetworkError): number {
  if (!/^[0-9]{1,5}$/.test(text)) throw bad(`${what} "${text}" is not a number`);
  const n = Number(text);
  if (n < 1 || n > 65535) throw bad(`${what} ${n} is out of range 1-65535`);
  return n;
}

/** Two mappings that would catch the same packets on the host. */
export function samePublishedPort(a: PortMapping, b: PortMapping): boolean {
  return a.protocol === b.protocol && a.hostPort === b.hostPort && (a.hostIp === null || b.hostIp === null || a.hostIp === b.hostIp);
}

export function formatPublish(p: PortMapping): string {
  return `${p.hostIp ? `${p.hostIp}:` : ''}${p.hostPort}:${p.containerPort}/${p.protocol}`;
}
