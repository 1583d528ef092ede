import { join } from 'node:path';
import { STATE_DIR } from '../paths.js';

/**
 * Host-wide settings of the network module, read from the environment at
 * each call (not at import) so tests and several installations can use their
 * own bridge, table and store without touching the defaults.
 */
export interface NetworkConfig {
  /** Bridge of the bridge mode. TSMACHINE_BRIDGE, default tsm0. */
  bridge: string;
  /** Fixed subnet (TSMACHINE_SUBNET); null: the first candidate free of host routes. */
  subnet: string | null;
  /** IPAM store and lock. TSMACHINE_NETWORK_DIR, default STATE_DIR/network. */
  dir: string;
  /** The nftables table (family inet) this module owns. TSMACHINE_NFT_TABLE, default tsmachine. */
  table: string;
}

export function networkConfig(env: NodeJS.ProcessEnv = process.env): NetworkConfig {
  return {
    bridge: env.TSMACHINE_BRIDGE || 'tsm0',
    subnet: env.TSMACHINE_SUBNET || null,
    dir: env.TSMACHINE_NETWORK_DIR || join(env.TSMACHINE_STATE_DIR || STATE_DIR, 'network'),
    table: env.TSMACHINE_NFT_TABLE || 'tsmachine',
  };
}
