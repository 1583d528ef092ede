import { TsmError } from '../errors.js';
import type { Limits } from '../config/limits.js';
import type { DevicePlan } from '../systemd/properties.js';
import type { ExecRequest, ParkedContainer, ParkedExec, SpawnRequest } from '../kernel/types.js';
import type { LxcfsMode } from '../config/lxcfs.js';
import type { ProcView } from './proc-view.js';

/**
 * The effects the runtime core drives, as small interfaces. The CLI passes
 * the real ones (runtime/real-deps.ts); host unit tests pass recorders to
 * check ordering and undo without pretending to be systemd.
 */

/**
 * systemd or machined already has a unit or machine by this name. The
 * runtime treats it as a leftover of a crashed run (it holds the name's lock
 * and its records say nothing runs), cleans it and retries once.
 */
export class AlreadyExistsError extends TsmError {
  readonly module = 'runtime';
  constructor(readonly what: 'unit' | 'machine', readonly id: string, options?: { cause?: unknown }) {
    super(`${what} ${id} already exists`, options);
  }
}

export interface ScopeManager {
  startScope(unit: string, input: { description: string; pids: number[]; limits: Limits; devices: DevicePlan }): Promise<void>;
  stopUnit(unit: string): Promise<void>;
  killUnit(unit: string, who: 'all' | 'main', signal: number): Promise<void>;
  resetFailedUnit(unit: string): Promise<void>;
  /** null when systemd does not know the unit. */
  unitState(unit: string): Promise<{ activeState: string; controlGroup: string } | null>;
  updateLimits(unit: string, limits: Limits): Promise<void>;
  /** tsmachine@NAME.service: what the container adds to (or, privileged, removes from) the unit file's device policy. */
  setServiceDevices(unit: string, devices: DevicePlan): Promise<void>;
  attachProcesses(unit: string, pids: number[]): Promise<void>;
}

export interface MachineInfo {
  leader: number;
  unit: string;
}

export interface MachineRegistry {
  register(m: { name: string; leader: number; rootDirectory: string; ifindices: number[]; keepUnit?: boolean }): Promise<void>;
  terminate(name: string): Promise<void>;
  get(name: string): Promise<MachineInfo | null>;
}

export interface SystemdSession {
  scopes: ScopeManager;
  machines: MachineRegistry;
  close(): void;
}

export interface NetworkSetup {
  hostIfindices: number[];
  addresses: string[];
  /** Contents for the container's /etc files. */
  resolvConf: string;
  hosts: string;
  undo(): Promise<void>;
}

export interface NetworkOps {
  /** Throws a one-line error for bad modes/addresses/ports; reads nothing but, for -p IP:…, the host's addresses. */
  validate(net: { mode: string; ip?: string; publish: string[]; dns: string[] }): void;
  /** Whether the container shares the host's network namespace. */
  sharesHost(net: { mode: string }): boolean;
  /** Whether setup leaves anything on the host (links, a lease, rules) for teardown to remove. */
  leavesHostState(net: { mode: string }): boolean;
  setup(net: { mode: string; ip?: string; publish: string[]; dns: string[] }, c: { name: string; initPid: number; hostname: string }): Promise<NetworkSetup>;
  /** Idempotent: veth, rules and lease of a container, whatever is left of them. */
  teardown(name: string): Promise<void>;
}

export interface KernelOps {
  spawnContainer(req: SpawnRequest): ParkedContainer;
  execInContainer(req: ExecRequest): ParkedExec;
  /** Exit status of a child of this process (128+signal when killed). */
  waitExit(pid: number): Promise<number>;
  kill(pid: number, signal: number): void;
  /** Start time of a process (clock ticks since boot), or null when it does not exist. */
  processStartTime(pid: number): number | null;
  /** Whether the process handles `signal`; null when it does not exist. */
  catchesSignal(pid: number, signal: number): boolean | null;
  acquireLock(path: string): { release(): void };
  /** sd_notify to $NOTIFY_SOCKET (no-op without one). */
  notify(state: string): void;
}

export interface RuntimeDeps {
  systemd(): Promise<SystemdSession>;
  kernel: KernelOps;
  network: NetworkOps;
  /** lxcfs's binds for a start (runtime/proc-view.ts); absent: the host's lxcfs. */
  procView?: (mode: LxcfsMode) => Promise<ProcView>;
}
