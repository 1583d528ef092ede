import { koffi } from './koffi.js';
import { constants } from 'node:os';
import { NATIVE_LIB } from '../paths.js';
import { TsmError } from '../errors.js';

/**
 * Bindings to native/src/netlink.c: rtnetlink requests made from C so that no
 * `ip` process runs per step, and so that the container-side work happens in
 * a forked child that enters the container's netns (Node never does).
 * Every wrapper throws NetlinkError carrying the operation, errno and name.
 * The library is loaded on first use, so importing this costs nothing.
 */
export class NetlinkError extends TsmError {
  readonly module = 'kernel';
  constructor(readonly op: string, readonly errno: number, readonly target: string) {
    super(`${op}(${target}): ${errnoName(errno)}`);
  }
}

const ERRNO_NAMES = new Map<number, string>(
  Object.entries(constants.errno).map(([name, n]) => [n, name] as [number, string]),
);
export function errnoName(e: number): string {
  return ERRNO_NAMES.get(e) ?? `errno ${e}`;
}

export const ENOENT = constants.errno.ENOENT;
export const ESRCH = constants.errno.ESRCH;
export const EEXIST = constants.errno.EEXIST;
export const ENODEV = constants.errno.ENODEV;

/** What tsm_nl_netns_configure's child was doing when it failed (enum tsm_nl_step). */
const STEPS = ['', 'fork', 'open netns', 'setns', 'netlink socket', 'lo up', 'find link', 'add address', 'link up', 'default route', 'wait'];

interface Lib {
  linkIndex: (name: string) => number;
  bridgeAdd: (name: string) => number;
  vethAdd: (host: string, peer: string, pid: number) => number;
  l2Add: (kind: string, parent: number, name: string, pid: number) => number;
  linkSet: (ifindex: number, master: number, up: number) => number;
  hairpin: (ifindex: number, on: number) => number;
  addrAdd: (ifindex: number, addr: number, prefix: number) => number;
  linkDel: (name: string) => number;
  netnsConfigure: (pid: number, ifname: string, addr: number, prefix: number, gw: number, step: number[]) => number;
}

let lib: Lib | null = null;
function load(): Lib {
  if (lib) return lib;
  const l = koffi().load(NATIVE_LIB);
  lib = {
    linkIndex: l.func('int tsm_nl_link_index(const char *name)') as Lib['linkIndex'],
    bridgeAdd: l.func('int tsm_nl_bridge_add(const char *name)') as Lib['bridgeAdd'],
    vethAdd: l.func('int tsm_nl_veth_add(const char *host, const char *peer, int pid)') as Lib['vethAdd'],
    l2Add: l.func('int tsm_nl_l2_add(const char *kind, int parent, const char *name, int pid)') as Lib['l2Add'],
    linkSet: l.func('int tsm_nl_link_set(int ifindex, int master, int up)') as Lib['linkSet'],
    hairpin: l.func('int tsm_nl_brport_hairpin(int ifindex, int on)') as Lib['hairpin'],
    addrAdd: l.func('int tsm_nl_addr_add(int ifindex, uint32_t addr, int prefix)') as Lib['addrAdd'],
    linkDel: l.func('int tsm_nl_link_del(const char *name)') as Lib['linkDel'],
    netnsConfigure: l.func(
      'int tsm_nl_netns_configure(int pid, const char *ifname, uint32_t addr, int prefix, uint32_t gw, _Out_ int *step)',
    ) as Lib['netnsConfigure'],
  };
  return lib;
}

/** Returns rc, or throws with the errno koffi saved for this failed call. */
function check(rc: number, op: string, target: string): number {
  if (rc === -1) throw new NetlinkError(op, koffi().errno(), target);
  return rc;
}

/** ifindex of NAME in this netns, or null when there is no such link. */
export function linkIndex(name: string): number | null {
  const rc = load().linkIndex(name);
  if (rc === -1) {
    const e = koffi().errno();
    if (e === ENODEV) return null;
    throw new NetlinkError('getlink', e, name);
  }
  return rc;
}

export function bridgeAdd(name: string): number {
  return check(load().bridgeAdd(name), 'newlink bridge', name);
}

/** Host end HOST here, PEER created inside the netns of PID; returns HOST's ifindex. */
export function vethAdd(host: string, peer: string, pid: number): number {
  return check(load().vethAdd(host, peer, pid), 'newlink veth', `${host}/${peer}@pid ${pid}`);
}

export function l2Add(kind: 'macvlan' | 'ipvlan', parentIfindex: number, name: string, pid: number): void {
  check(load().l2Add(kind, parentIfindex, name, pid), `newlink ${kind}`, `${name}@pid ${pid}`);
}

/** Enslaves to MASTER (when given) and sets the link up (when up). */
export function linkSet(ifindex: number, opts: { master?: number; up: boolean }): void {
  check(load().linkSet(ifindex, opts.master ?? 0, opts.up ? 1 : 0), 'setlink', `ifindex ${ifindex}`);
}

/** Lets frames leave a bridge port through the port they came in on (hairpin). */
export function brportHairpin(ifindex: number, on: boolean): void {
  check(load().hairpin(ifindex, on ? 1 : 0), 'setlink hairpin', `ifindex ${ifindex}`);
}

/** Adds ADDR/PREFIX; returns false when the address was already there. */
export function addrAdd(ifindex: number, addr: number, prefix: number): boolean {
  const rc = load().addrAdd(ifindex, addr, prefix);
  if (rc === -1) {
    const e = koffi().errno();
    if (e === EEXIST) return false;
    throw new NetlinkError('newaddr', e, `ifindex ${ifindex}`);
  }
  return true;
}

/** Deletes link NAME; returns false when it did not exist. */
export function linkDel(name: string): boolean {
  const rc = load().linkDel(name);
  if (rc === -1) {
    const e = koffi().errno();
    if (e === ENODEV) return false;
    throw new NetlinkError('dellink', e, name);
  }
  return true;
}

/**
 * In the netns of PID (entered by a forked C child): lo up, ADDR/PREFIX on
 * IFNAME (skipped when addr is 0), IFNAME up, default route via GATEWAY
 * (skipped when 0).
 */
export function netnsConfigure(pid: number, ifname: string, addr: number, prefix: number, gateway: number): void {
  const step = [0];
  const rc = load().netnsConfigure(pid, ifname, addr, prefix, gateway, step);
  if (rc === -1) {
    const e = koffi().errno();
    throw new NetlinkError(`netns of pid ${pid}: ${STEPS[step[0] ?? 0] ?? 'step ?'}`, e, ifname);
  }
}
