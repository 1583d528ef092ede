import { readFileSync } from 'node:fs';
import type { PortMapping, PortProtocol } from './plan.js';
import { os } from '../builtins.js';

/** A socket bound on the host, as /proc/net/{tcp,udp}{,6} list it. */
export interface BoundSocket {
  protocol: PortProtocol;
  /** Local address in /proc's hex form; all zeros is the wildcard. */
  addressHex: string;
  port: number;
}

const TCP_LISTEN = '0A';

/** Parses one /proc/net/{tcp,udp}[6] table: listening TCP sockets, every bound UDP socket. */
export function parseProcSockets(text: string, protocol: PortProtocol): BoundSocket[] {
  const out: BoundSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    const local = f[1];
    const state = f[3];
    if (!local || !state) continue;
    if (protocol === 'tcp' && state !== TCP_LISTEN) continue;
    const [addressHex = '', portHex = '0'] = local.split(':');
    out.push({ protocol, addressHex, port: parseInt(portHex, 16) });
  }
  return out;
}

/** The hex form /proc/net/tcp uses for an IPv4 address (native-endian __be32). */
function ipv4Hex(ip: string): string {
  // the address's bytes read as a number in this machine's order (a typed array's)
  const n = new Uint32Array(Uint8Array.from(ip.split('.').map(Number)).buffer)[0]!;
  return n.toString(16).toUpperCase().padStart(8, '0');
}

/** The host socket that would take P's traffic, if any. Wildcard and IPv6 sockets count whatever P's host IP is. */
export function boundConflict(p: PortMapping, sockets: readonly BoundSocket[]): BoundSocket | undefined {
  return sockets.find((s) => {
    if (s.protocol !== p.protocol || s.port !== p.hostPort) return false;
    if (p.hostIp === null || s.addressHex.length !== 8 || /^0+$/.test(s.addressHex)) return true;
    return s.addressHex === ipv4Hex(p.hostIp);
  });
}

export function readBoundSockets(): BoundSocket[] {
  const read = (file: string): string => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return ''; // no IPv6 on this host
    }
  };
  return [
    ...parseProcSockets(read('/proc/net/tcp'), 'tcp'),
    ...parseProcSockets(read('/proc/net/tcp6'), 'tcp'),
    ...parseProcSockets(read('/proc/net/udp'), 'udp'),
    ...parseProcSockets(read('/proc/net/udp6'), 'udp'),
  ];
}

/** This host's IPv4 addresses, every interface (127.0.0.1 included). */
export function localIpv4Addresses(): string[] {
  return Object.values(os().networkInterfaces()).flatMap((list) => (list ?? []).filter((a) => a.family === 'IPv4').map((a) => a.address));
}
