import { formatSize } from '../config/units.js';
import type { ContainerStatus } from '../runtime/inspect.js';

/** A container's limits as `list` and `status` print them: "cpus=0.5 memory=64M", or "-". */
export function limitsText(s: ContainerStatus): string {
  const l = s.limits, parts: string[] = [];
  if (l.cpus !== null) parts.push(`cpus=${l.cpus}`);
  if (l.memory !== null) parts.push(`memory=${formatSize(l.memory)}`);
  if (l.pids !== null) parts.push(`pids=${l.pids}`);
  if (l.cpuset !== null) parts.push(`cpuset=${l.cpuset}`);
  if (l.ioWeight !== null) parts.push(`io-weight=${l.ioWeight}`);
  return parts.join(' ') || '-';
}
