import { linkDel } from '../kernel/netlink.js';
import { networkConfig } from './config.js';
import { readStore } from './ipam.js';
import { asNetworkError } from './kernel-errors.js';
import { releaseLease } from './lease.js';
import { hostVethName } from './names.js';
import { nftInstalled, removeContainerRules } from './rules.js';

/**
 * Removes what the network of NAME left on the host: its veth (gone already
 * when its netns died), its nft rules, its lease; the bridge and table with
 * the last lease. Idempotent and tolerant of missing pieces, for stop/rm and
 * for cleaning up after a kill -9. A container's own rules are only ever
 * added while its lease exists, and its chain only for published ports
 * (nft.ts containerBatch), so without both there is no chain to look for;
 * its anti-spoofing set elements go with the lease (releaseLease).
 */
export async function teardownNetwork(name: string): Promise<void> {
  const cfg = networkConfig();
  try {
    const lease = readStore(cfg).leases[name];
    linkDel(lease?.hostIf ?? hostVethName(name));
    if (!lease) return;
    if (lease.mode === 'bridge' && lease.ports.length > 0 && nftInstalled()) await removeContainerRules(cfg.table, name);
    await releaseLease(cfg, name);
  } catch (e) {
    throw asNetworkError(e, name);
  }
}
