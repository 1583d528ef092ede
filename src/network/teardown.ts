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
 * for cleaning up after a kill -9. Rules are only ever added while a lease
 * exists, so without a lease there is nothing in nft to look for.
 */
export async function teardownNetwork(name: string): Promise<void> {
  const cfg = networkConfig();
  try {
    const lease = readStore(cfg).leases[name];
    linkDel(lease?.hostIf ?? hostVethName(name));
    if (!lease) return;
    if (lease.mode === 'bridge' && nftInstalled()) await removeContainerRules(cfg.table, name);
    await releaseLease(cfg, name);
  } catch (e) {
    throw asNetworkError(e, name);
  }
}
