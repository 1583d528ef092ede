import { nativeAddon, type NftOutcome } from '../kernel/addon.js';

/**
 * nftables in process through libnftables (the library the nft binary is a
 * thin wrapper of; Debian's nftables package depends on libnftables1),
 * opened by the native binding on first use. One exec of nft costs tens of
 * milliseconds, more than the rest of a container's network setup together,
 * and teardown needs two. The library talks netlink to nf_tables in the
 * caller's own netns: no namespace change in Node.
 */
export type { NftOutcome };

/** Runs nft commands (a whole batch is one transaction); null when libnftables is not there: nft-run.ts then execs nft. */
export function libnftRun(commands: string, json: boolean): NftOutcome | null {
  return nativeAddon().nftRun(commands, json);
}
