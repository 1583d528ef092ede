/**
 * The network module as the runtime core calls it, while the container's init
 * is parked in its new network namespace:
 *   parseNetworkOptions  flags -> NetworkPlan (pure, validates)
 *   setupNetwork         plan -> interfaces, addresses, rules, resolv.conf/hosts
 *   teardownNetwork      stop/rm/stale cleanup, idempotent
 */
import { type ContainerRef, setupBridge } from './bridge.js';
import { networkConfig } from './config.js';
import { buildHosts, resolvConfFor } from './dns.js';
import { asNetworkError } from './kernel-errors.js';
import { setupL2 } from './l2.js';
import { checkNoLiveLease } from './lease.js';
import type { NetworkPlan, NetworkResult } from './plan.js';
import { teardownNetwork } from './teardown.js';
import { UndoStack } from '../basic/undo.js';

export { NetworkError } from './errors.js';
export { parseNetworkOptions, type NetworkOptions } from './options.js';
export { checkHostAddressesLocal } from './ports.js';
export { localIpv4Addresses } from './host-ports.js';
export type { NetworkMode, NetworkPlan, NetworkResult, PortMapping, PortProtocol, StaticIp } from './plan.js';
export { teardownNetwork };

/**
 * Sets up the network of a parked container (C.initPid in its own netns,
 * except --network host). On failure everything created so far is removed
 * again and a NetworkError is thrown; on success NetworkResult.undo() does
 * the same for the runtime when a later step of the start fails.
 */
export async function setupNetwork(plan: NetworkPlan, c: ContainerRef): Promise<NetworkResult> {
  if (plan.mode === 'none' || plan.mode === 'host') {
    // lo is brought up by the native init; the host's network needs nothing.
    return {
      hostIfindices: [],
      addresses: [],
      resolvConf: resolvConfFor(plan.dns, plan.mode === 'host'),
      hosts: buildHosts(c.hostname, c.name, null),
      undo: async () => undefined,
    };
  }
  const cfg = networkConfig();
  const undo = new UndoStack();
  try {
    if (checkNoLiveLease(cfg, c.name)) await teardownNetwork(c.name);
    return plan.mode === 'bridge' ? await setupBridge(cfg, plan, c, undo) : await setupL2(cfg, plan, c, undo);
  } catch (e) {
    await undo.unwind();
    throw asNetworkError(e, c.name);
  }
}
