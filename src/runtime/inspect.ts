import { formatCpuList } from '../config/units.js';
import { listContainerNames, readExitCode, readRuntime, readStoredSpec } from '../state/container.js';
import type { KernelOps } from './deps.js';
import { isAlive } from './liveness.js';
import { unitNameFor } from './unit-name.js';
import { procViewProblem } from './proc-view.js';

/** The record `list --json` and `status --json` print: the stable shape scripts rely on. */
export interface ContainerStatus {
  name: string;
  state: 'running' | 'stopped';
  leader: number | null;
  unit: string;
  /** The name the container was created with (kept: scripts rely on it), even if it is gone or means another image now. */
  image: string;
  /** What it really runs: the image id recorded at creation (a digest, or builtin:/dir: for directory images). */
  imageId: string;
  addresses: string[];
  limits: { cpus: number | null; memory: number | null; pids: number | null; cpuset: string | null; ioWeight: number | null };
  command: string[];
  /** --private-users: the host ids the container's 0.. map to; null without a user namespace. */
  userns: { base: number; size: number } | null;
  created: string;
  startedAt: string | null;
  exitCode: number | null;
  /** Running with lxcfs's /proc files bound over its own (--lxcfs); false when stopped. */
  procView: boolean;
  /**
   * What is wrong with that view now (lxcfs restarted under it: ENOTCONN);
   * null when it answers, or when not looked at: only `status` looks (a
   * stat through a FUSE mount waits for the daemon), `list` does not.
   */
  procViewError: string | null;
}

export function containerStatus(kernel: Pick<KernelOps, 'processStartTime'>, name: string, opts: { probeProcView?: boolean } = {}): ContainerStatus | null {
  const stored = readStoredSpec(name);
  if (!stored) return null;
  const rt = readRuntime(name);
  const running = rt !== null && isAlive(kernel, rt);
  const { spec } = stored;
  const procView = running && rt!.procView === true;
  return {
    name,
    state: running ? 'running' : 'stopped',
    leader: running ? rt!.initPid : null,
    unit: running ? rt!.unit : unitNameFor(name),
    image: spec.image,
    imageId: stored.imageId,
    addresses: running ? rt!.addresses : [],
    limits: {
      cpus: spec.limits.cpus ?? null,
      memory: spec.limits.memory ?? null,
      pids: spec.limits.pids ?? null,
      cpuset: spec.limits.cpuset ? formatCpuList(spec.limits.cpuset) : null,
      ioWeight: spec.limits.ioWeight ?? null,
    },
    command: spec.command,
    userns: stored.userns ?? null,
    created: stored.created,
    startedAt: running ? rt!.startedAt : null,
    exitCode: running ? null : readExitCode(name),
    procView,
    procViewError: procView && opts.probeProcView ? procViewProblem(rt!.initPid) : null,
  };
}

export function listContainers(kernel: Pick<KernelOps, 'processStartTime'>, all: boolean): ContainerStatus[] {
  return listContainerNames()
    .map((n) => containerStatus(kernel, n))
    .filter((s): s is ContainerStatus => s !== null && (all || s.state === 'running'));
}
