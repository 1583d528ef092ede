import { kill } from '../../kernel/index.js';
import type { OciStore, OciRecord } from './store.js';
import { initAlive } from './status.js';
import { OciSystemd } from './systemd.js';

/**
 * What a create killed half-way, or a container never deleted, left: its
 * init, scope, machine and directory. Each step tolerates the thing being
 * gone already; systemd collects an empty scope by itself.
 */
export async function cleanLeftover(store: OciStore, id: string, r: OciRecord | null): Promise<void> {
  if (r !== null) {
    if (initAlive(r)) kill(r.pid, 9);
    const systemd = new OciSystemd();
    try {
      const manager = await systemd.manager();
      await manager.stopUnit(r.unit);
      await manager.resetFailedUnit(r.unit);
      if (r.machine !== null) await (await systemd.machined()).unregisterMachine(r.machine);
    } finally {
      await systemd.close();
    }
  }
  store.remove(id);
}
