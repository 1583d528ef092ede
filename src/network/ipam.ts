import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../basic/atomic-file.js';
import { dirname, join } from 'node:path';
import { withLock } from '../kernel/lock.js';
import type { NetworkConfig } from './config.js';
import { NetworkError } from './errors.js';
import { type Cidr, broadcastOf, contains, formatCidr, formatIpv4, gatewayOf, parseIpv4 } from './ipv4.js';
import type { PortMapping } from './plan.js';

/**
 * Address management: a JSON store (it survives restarts) guarded by a flock,
 * with one lease per container name. A lease also records what teardown needs
 * when the runtime's own state is gone: the host veth and published ports.
 */
export interface Lease {
  mode: 'bridge' | 'macvlan' | 'ipvlan';
  /** Dotted quad; "" for a macvlan/ipvlan container without --ip. */
  address: string;
  prefix: number;
  /** Host end of the veth (bridge mode). */
  hostIf: string | null;
  /** The container's init when the lease was taken: a lease whose pid is gone is stale. */
  pid: number;
  ports: PortMapping[];
}

export interface IpamStore {
  version: 1;
  /** Subnet of the bridge while bridge leases exist; chosen anew when the last one goes. */
  subnet: string | null;
  /** Last address handed out: allocation goes round from there, so a freed address is not reused at once (stale ARP entries). */
  last: string | null;
  /**
   * We turned ip_forward on (it was 0): the host did not route, and our nft
   * table keeps it from routing between its other interfaces (nft.ts). Kept
   * when the last lease goes, since ip_forward stays on then.
   */
  forwardingOurs?: boolean;
  leases: Record<string, Lease>;
}

export function emptyStore(): IpamStore {
  return { version: 1, subnet: null, last: null, leases: {} };
}

export function parseStore(text: string, path: string): IpamStore {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new NetworkError(`${path}: not JSON; move it away to start with an empty address store`);
  }
  if (typeof v !== 'object' || v === null || (v as { version?: unknown }).version !== 1) {
    throw new NetworkError(`${path}: not a version 1 address store`);
  }
  const s = v as Partial<IpamStore>;
  return {
    version: 1,
    subnet: typeof s.subnet === 'string' ? s.subnet : null,
    last: typeof s.last === 'string' ? s.last : null,
    ...(s.forwardingOurs === true ? { forwardingOurs: true } : {}),
    leases: typeof s.leases === 'object' && s.leases !== null ? s.leases : {},
  };
}

export function bridgeLeases(store: IpamStore): [string, Lease][] {
  return Object.entries(store.leases).filter(([, l]) => l.mode === 'bridge');
}

/**
 * Picks the container's address in SUBNET: REQUESTED when given (it must be a
 * host address of the subnet, not the gateway, not leased), else the next
 * free one after the last handed out. Pure apart from updating store.last.
 */
export function allocateAddress(store: IpamStore, subnet: Cidr, requested: number | null): number {
  const first = (gatewayOf(subnet) + 1) >>> 0;
  const lastHost = (broadcastOf(subnet) - 1) >>> 0;
  const taken = new Set(bridgeLeases(store).map(([, l]) => parseIpv4(l.address)));
  if (requested !== null) {
    const text = formatIpv4(requested);
    if (!contains(subnet, requested)) throw new NetworkError(`--ip ${text} is outside the bridge subnet ${formatCidr(subnet)}`);
    if (requested < first || requested > lastHost) throw new NetworkError(`--ip ${text} is the network, gateway or broadcast address of ${formatCidr(subnet)}`);
    const holder = Object.entries(store.leases).find(([, l]) => l.address === text);
    if (holder) throw new NetworkError(`--ip ${text} is already leased to container ${holder[0]}`);
    store.last = text;
    return requested;
  }
  const size = lastHost - first + 1;
  const last = store.last === null ? null : parseIpv4(store.last);
  const start = last !== null && last >= first && last < lastHost ? last + 1 : first;
  for (let i = 0; i < size; i++) {
    const candidate = first + ((start - first + i) % size);
    if (!taken.has(candidate)) {
      store.last = formatIpv4(candidate);
      return candidate;
    }
  }
  throw new NetworkError(`no free address left in ${formatCidr(subnet)} (${size} leased)`);
}

export function storePaths(cfg: NetworkConfig): { file: string; lock: string } {
  return { file: join(cfg.dir, 'ipam.json'), lock: join(cfg.dir, 'ipam.lock') };
}

export function readStore(cfg: NetworkConfig): IpamStore {
  const { file } = storePaths(cfg);
  return existsSync(file) ? parseStore(readFileSync(file, 'utf8'), file) : emptyStore();
}

/**
 * Runs FN on the store under the lock and saves what it changed (atomically,
 * so a crash never leaves half a store; not fsynced, as it never was).
 */
export async function withStore<T>(cfg: NetworkConfig, fn: (store: IpamStore) => T | Promise<T>): Promise<T> {
  const { file, lock } = storePaths(cfg);
  // The first of these may be STATE_DIR itself: private, as state/private-dir.ts makes it.
  mkdirSync(dirname(lock), { recursive: true, mode: 0o700 });
  return withLock(lock, { timeoutMs: 30_000 }, async () => {
    const store = readStore(cfg);
    const before = JSON.stringify(store);
    const result = await fn(store);
    const after = JSON.stringify(store, null, 2);
    if (JSON.stringify(store) !== before) {
      writeFileAtomic(file, `${after}\n`, { mode: 0o644, durable: false });
    }
    return result;
  });
}
