import type { KernelOps } from './deps.js';
import type { RuntimeState } from '../state/container.js';

/**
 * Is the container recorded in `rt` still running? The PID alone is not
 * enough after a crash or reboot: the number may belong to another process
 * now, so the start time recorded at spawn must match too.
 */
export function isAlive(kernel: Pick<KernelOps, 'processStartTime'>, rt: RuntimeState | null): boolean {
  if (!rt) return false;
  const t = kernel.processStartTime(rt.initPid);
  return t !== null && t === rt.initStartTime;
}
