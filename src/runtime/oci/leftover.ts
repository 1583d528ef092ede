import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { kill } from '../../kernel/index.js';
import type { OciStore, OciRecord } from './store.js';
import { initAlive } from './status.js';
import { OciSystemd } from './systemd.js';

/**
 * The scope's cgroup directory (read, never written): gone means systemd
 * collected the unit (CollectMode=inactive-or-failed) and machined dropped
 * the machine with it, so a stopped container's delete asks systemd nothing.
 */
function unitCgroupExists(r: OciRecord): boolean {
  return existsSync(join('/sys/fs/cgroup', ...slicePath(r.slice), r.unit));
}

/** systemd's nesting of slices: a-b.slice lives in a.slice (systemd.slice(5)). */
export function slicePath(slice: string): string[] {
  if (slice === '-.slice' || slice === '') return [];
  const parts = slice.replace(/\.slice$/, '').split('-');
  return parts.map((_, i) => `${parts.slice(0, i + 1).join('-')}.slice`);
}

/**
 * What a create killed half-way, or a container never deleted, left: its
 * init, scope, machine and directory. Each step tolerates the thing being
 * gone already; systemd collects an empty scope by itself.
 */
export async function cleanLeftover(store: OciStore, id: string, r: OciRecord | null): Promise<void> {
  if (r !== null && (initAlive(r) || unitCgroupExists(r))) {
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
