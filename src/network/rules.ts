import { existsSync } from 'node:fs';
import { containerDeleteBatch } from './nft.js';
import { nftApply, nftListTable } from './nft-run.js';

/**
 * Removes exactly NAME's nft rules (its jumps, found by comment, and its
 * chain): one `nft -j list` and one `nft -f -`. Nothing when the table or the
 * rules are already gone.
 */
export async function removeContainerRules(table: string, name: string): Promise<void> {
  const listing = await nftListTable(table);
  if (!listing) return;
  const batch = containerDeleteBatch({ table }, name, listing);
  if (batch) await nftApply(batch, `removing the rules of ${name}`);
}

/** Without nft installed there can be no rules of ours to remove. */
export function nftInstalled(): boolean {
  return ['/usr/sbin/nft', '/sbin/nft', '/usr/bin/nft'].some((p) => existsSync(p));
}
