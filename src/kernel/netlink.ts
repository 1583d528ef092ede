import { failure, nativeAddon } from './addon.js';
import { KernelError } from './errors.js';
import { EEXIST, ENODEV } from './errno.js';

/**
 * Bindings to native/src/netlink.c: rtnetlink requests made from C so that no
 * `ip` process runs per step, and so that the container-side work happens in
 * a forked child that enters the container's netns (Node never does).
 * Every wrapper throws KernelError carrying the request, errno and name.
 * The binding is loaded on first use, so importing this costs nothing.
 */
function failed(op: string, errno: number, target: string): KernelError {
  return new KernelError({ stage: 'kernel', syscall: 'rtnetlink', what: op, errno, path: target });
}

export { ENOENT, ESRCH, EEXIST, ENODEV } from './errno.js';

/** Returns rc, or throws KernelError with the call's errno (rc is -errno). */
function check(rc: number, op: string, target: string): number {
  if (rc < 0) throw failed(op, -rc, target);
  return rc;
}

/** ifindex of NAME in this netns, or null when there is no such link. */
export function linkIndex(name: string): number | null {
  const rc = nativeAddon().nlLinkIndex(name);
  if (rc < 0) {
    const e = -rc;
    if (e === ENODEV) return null;
    throw failed('getlink', e, name);
  }
  return rc;
}

export function bridgeAdd(name: string): number {
  return check(nativeAddon().nlBridgeAdd(name), 'newlink bridge', name);
}

/**
 * Host end HOST here, PEER created inside the netns of PID, both with MTU (0:
 * the kernel's), PEER with the 6-byte PEERMAC (empty: a random one); returns
 * HOST's ifindex.
 */
export function vethAdd(host: string, peer: string, pid: number, mtu = 0, peerMac: Uint8Array = new Uint8Array(0)): number {
  return check(nativeAddon().nlVethAdd(host, peer, pid, mtu, peerMac), 'newlink veth', `${host}/${peer}@pid ${pid}`);
}

export function l2Add(kind: 'macvlan' | 'ipvlan', parentIfindex: number, name: string, pid: number): void {
  check(nativeAddon().nlL2Add(kind, parentIfindex, name, pid), `newlink ${kind}`, `${name}@pid ${pid}`);
}

/** Enslaves to MASTER (when given) and sets the link up (when up). */
export function linkSet(ifindex: number, opts: { master?: number; up: boolean }): void {
  check(nativeAddon().nlLinkSet(ifindex, opts.master ?? 0, opts.up ? 1 : 0), 'setlink', `ifindex ${ifindex}`);
}

/** Lets frames leave a bridge port through the port they came in on (hairpin). */
export function brportHairpin(ifindex: number, on: boolean): void {
  check(nativeAddon().nlHairpin(ifindex, on ? 1 : 0), 'setlink hairpin', `ifindex ${ifindex}`);
}

/** Adds ADDR/PREFIX; returns false when the address was already there. */
export function addrAdd(ifindex: number, addr: number, prefix: number): boolean {
  const rc = nativeAddon().nlAddrAdd(ifindex, addr, prefix);
  if (rc < 0) {
    const e = -rc;
    if (e === EEXIST) return false;
    throw failed('newaddr', e, `ifindex ${ifindex}`);
  }
  return true;
}

/** Deletes link NAME; returns false when it did not exist. */
export function linkDel(name: string): boolean {
  const rc = nativeAddon().nlLinkDel(name);
  if (rc < 0) {
    const e = -rc;
    if (e === ENODEV) return false;
    throw failed('dellink', e, name);
  }
  return true;
}

/**
 * In the netns of PID (entered by a forked C child): lo up, ADDR/PREFIX on
 * IFNAME (skipped when addr is 0), IFNAME up, default route via GATEWAY
 * (skipped when 0).
 */
export function netnsConfigure(pid: number, ifname: string, addr: number, prefix: number, gateway: number): void {
  // A failure names the step as the stages do: "netns: setlink container end up on eth0 failed: …"
  const r = nativeAddon().nlNetnsConfigure(pid, ifname, addr >>> 0, prefix, gateway >>> 0);
  if (r.rc < 0) throw failure(r);
}
