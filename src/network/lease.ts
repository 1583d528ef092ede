import { linkDel, linkIndex } from '../kernel/netlink.js';
import { processExists } from '../kernel/process.js';
import type { NetworkConfig } from './config.js';
import { NetworkError } from './errors.js';
import { type Lease, bridgeLeases, readStore, withStore } from './ipam.js';
import { containerMac } from './names.js';
import { portDeleteBatch } from './nft.js';
import { nftApply, nftDeleteTable } from './nft-run.js';

/**
 * Drops NAME's lease. When it was the last bridge lease, the bridge and the
 * nft tables go too (under the same lock as the setup that would need them),
 * so an idle host carries nothing of tsmachine's; otherwise its port leaves
 * the anti-spoofing sets (by exact key, from the lease: no listing), so a
 * later container on that veth name cannot send from this address.
 */
export async function releaseLease(cfg: NetworkConfig, name: string): Promise<void> {
  await withStore(cfg, async (store) => {
    const lease = store.leases[name];
    if (!lease) return;
    delete store.leases[name];
    if (lease.mode !== 'bridge') return;
    if (bridgeLeases(store).length === 0) {
      await nftDeleteTable(cfg.table);
      linkDel(cfg.bridge);
      store.subnet = null;
    } else if (lease.hostIf !== null && lease.address !== '') {
      const port = { hostIf: lease.hostIf, mac: containerMac(lease.address), address: lease.address };
      await nftApply(portDeleteBatch(cfg, port), `removing the address of ${name} from the anti-spoofing sets`);
    }
  });
}

/**
 * A lease left by a container that died without teardown (kill -9 of the
 * runtime) is stale: its veth went with its netns, or its init is gone.
 */
export function leaseIsStale(lease: Lease): boolean {
  if (lease.hostIf !== null) return linkIndex(lease.hostIf) === null;
  return !processExists(lease.pid);
}

/** Refuses a second network for a live container; returns true when a stale one must be torn down first. */
export function checkNoLiveLease(cfg: NetworkConfig, name: string): boolean {
  const lease = readStore(cfg).leases[name];
  if (!lease) return false;
  if (!leaseIsStale(lease)) {
    throw new NetworkError(`container ${name} already has a network (${lease.address || lease.mode}); tear it down first`);
  }
  return true;
}
