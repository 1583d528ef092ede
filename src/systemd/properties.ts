import type { Limits } from '../config/limits.js';
import type { Variant } from './dbus/values.js';
import { UnitPropertyError } from './errors.js';

/**
 * Container spec -> systemd unit properties, for StartTransientUnit and
 * SetUnitProperties. Pure: table-tested without a bus. Types matter (systemd
 * rejects a 'u' where it wants a 't'), so every property names its signature.
 */
export type UnitProperty = [name: string, value: Variant];

export interface ScopeOptions {
  description: string;
  /** Processes to move into the scope; the leader must exist already. */
  pids: number[];
  limits?: Limits;
  slice?: string;
  /** Hand the scope's cgroup subtree to us (the payload manages its own). */
  delegate?: boolean;
  /** Absent: the container default (closed, with DEVICE_ALLOW_BASE). */
  devices?: DevicePlan;
}

/**
 * What devices a container's processes may open or create, enforced by
 * systemd (on cgroup v2 a BPF device program on the scope, which the
 * container's own sub-cgroups cannot widen). 'closed' admits systemd's
 * standard pseudo devices (null, zero, full, random, urandom, tty, ptmx) and
 * `allow`; 'auto' with an empty list is no policy at all (--privileged).
 */
export interface DevicePlan {
  policy: 'closed' | 'auto';
  allow: [path: string, access: string][];
}

/**
 * nspawn's DeviceAllow= (nspawn-register.c, systemd-nspawn@.service): the
 * tun device so that a VPN or PrivateNetwork= inside works, and the ptys of
 * the container's own devpts for reading and writing, never creating them.
 * units/tsmachine@.service carries the same lines.
 */
export const DEVICE_ALLOW_BASE: readonly [string, string][] = [['/dev/net/tun', 'rwm'], ['char-pts', 'rw']];

/** nspawn's TasksMax= for a machine: a fork bomb inside stops there, not at the host's limit. */
export const DEFAULT_TASKS_MAX = 16384n;

/** The plan for a container: closed plus its --device/DeviceAllow= entries, or nothing at all when privileged. */
export function devicePlan(c: { privileged?: boolean; devices?: readonly { source: string; access: string }[]; deviceAllow?: readonly { path: string; access: string }[] }): DevicePlan {
  if (c.privileged) return { policy: 'auto', allow: [] };
  return {
    policy: 'closed',
    allow: [
      ...DEVICE_ALLOW_BASE.map(([p, a]): [string, string] => [p, a]),
      ...(c.devices ?? []).map((d): [string, string] => [d.source, d.access]),
      ...(c.deviceAllow ?? []).map((r): [string, string] => [r.path, r.access]),
    ],
  };
}

function deviceProperties(plan: DevicePlan): UnitProperty[] {
  return [
    ['DevicePolicy', { signature: 's', value: plan.policy }],
    // a(ss): (path or char-/block-NAME, access). An empty array resets the list.
    ['DeviceAllow', { signature: 'a(ss)', value: plan.allow.map(([p, a]) => [p, a]) }],
  ];
}

/**
 * tsmachine@NAME.service already carries the base policy (unit file); what a
 * container adds goes on at start with SetUnitProperties(runtime): its
 * devices (DeviceAllow appends), or for a privileged one no policy (auto and
 * an empty list, which resets the unit file's).
 */
export function serviceDeviceProperties(plan: DevicePlan): UnitProperty[] {
  if (plan.policy === 'auto') return deviceProperties(plan);
  const extra = plan.allow.slice(DEVICE_ALLOW_BASE.length);
  return extra.length > 0 ? [['DeviceAllow', { signature: 'a(ss)', value: extra.map(([p, a]) => [p, a]) }]] : [];
}

const U64_MAX = (1n << 64n) - 1n;
/** Linux's largest NR_CPUS. */
const MAX_CPU = 8191;

/**
 * The properties of a container's scope. Deliberately absent:
 * - AddRef: it ties the unit's lifetime to this bus connection, and the CLI
 *   process that creates the scope exits while the container runs on.
 * - KillMode etc.: systemd's defaults for scopes are what we want.
 * The device policy is there from the first instant: the init is parked
 * when the scope is made, so nothing of the payload ever ran without it.
 */
export function scopeProperties(opts: ScopeOptions): UnitProperty[] {
  const { description, pids, limits = {}, slice = 'machine.slice', delegate = true, devices = devicePlan({}) } = opts;
  if (pids.length === 0) throw new UnitPropertyError('PIDs', 'a scope needs at least one process (systemd refuses empty scopes)');
  for (const pid of pids) checkInt('PIDs', pid, 1, 0xffffffff);
  return [
    ['Slice', { signature: 's', value: slice }],
    ['Description', { signature: 's', value: description }],
    ['PIDs', { signature: 'au', value: [...pids] }],
    ['Delegate', { signature: 'b', value: delegate }],
    // Let systemd garbage-collect the scope even when it ended failed, so a
    // crashed container does not leave a unit that blocks the name.
    ['CollectMode', { signature: 's', value: 'inactive-or-failed' }],
    // An OOM kill of the payload must not stop the whole scope: the monitor
    // stays alive to record exit status 137. (Scopes know this since v253.)
    ['OOMPolicy', { signature: 's', value: 'continue' }],
    // `machinectl terminate` stops the scope: SIGTERM, then SIGKILL after this.
    // A payload that is PID 1 of its namespace ignores SIGTERM unless it
    // handles it, so systemd's 90 s default would make terminate hang; 10 s
    // is docker's stop timeout.
    ['TimeoutStopUSec', { signature: 't', value: 10_000_000n }],
    ...deviceProperties(devices),
    ...limitProperties(limits, false),
    ...(limits.pids === undefined ? [['TasksMax', { signature: 't', value: DEFAULT_TASKS_MAX }] as UnitProperty] : []),
  ];
}

/** The properties for SetUnitProperties: only the limits that are given. */
export function updateProperties(limits: Limits): UnitProperty[] {
  return limitProperties(limits, true);
}

function limitProperties(limits: Limits, forUpdate: boolean): UnitProperty[] {
  const out: UnitProperty[] = [];
  if (limits.cpus !== undefined) out.push(['CPUQuotaPerSecUSec', { signature: 't', value: cpuQuotaPerSecUSec(limits.cpus) }]);
  if (limits.memory !== undefined) out.push(['MemoryMax', { signature: 't', value: u64('MemoryMax', limits.memory) }]);
  if (limits.pids !== undefined) out.push(['TasksMax', { signature: 't', value: u64('TasksMax', limits.pids) }]);
  if (limits.cpuset !== undefined && (limits.cpuset.length > 0 || forUpdate)) {
    // An empty mask means "no restriction": only meaningful when changing a live unit.
    out.push(['AllowedCPUs', { signature: 'ay', value: cpuMask(limits.cpuset) }]);
  }
  if (limits.ioWeight !== undefined) out.push(['IOWeight', { signature: 't', value: BigInt(checkInt('IOWeight', limits.ioWeight, 1, 10000)) }]);
  return out;
}

/**
 * CPUs of bandwidth -> CPUQuotaPerSecUSec, rounded as runc does: systemd
 * stores the quota as a percentage, so anything finer than 10 ms per second
 * would not survive a round trip; round UP to a multiple of 10000 us.
 * The product is rounded to whole microseconds first so float noise
 * (0.29 * 1e6 = 290000.00000000006) does not push it up a step.
 */
export function cpuQuotaPerSecUSec(cpus: number): bigint {
  if (!Number.isFinite(cpus) || cpus <= 0) throw new UnitPropertyError('CPUQuotaPerSecUSec', `cpus must be a positive number, got ${cpus}`);
  const usec = Math.max(1, Math.round(cpus * 1e6)); // a positive quota never becomes 0 (= unlimited)
  return BigInt(Math.ceil(usec / 10000) * 10000);
}

/** CPU numbers -> AllowedCPUs bitmask: CPU n is bit n%8 of byte n/8. */
export function cpuMask(cpus: readonly number[]): Uint8Array {
  if (cpus.length === 0) return new Uint8Array(0);
  for (const c of cpus) checkInt('AllowedCPUs', c, 0, MAX_CPU);
  const mask = new Uint8Array((Math.max(...cpus) >> 3) + 1);
  for (const c of cpus) mask[c >> 3]! |= 1 << (c & 7);
  return mask;
}

function u64(name: string, v: number): bigint {
  if (v === Infinity) return U64_MAX; // systemd's "infinity"
  checkInt(name, v, 1, Number.MAX_SAFE_INTEGER);
  return BigInt(v);
}

function checkInt(name: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new UnitPropertyError(name, `expected an integer in ${min}..${max}, got ${v}`);
  return v;
}

const UNIT_NAME_MAX = 255;
const SAFE = /[A-Za-z0-9:_.-]/;

/**
 * The scope unit of a container. Machine names are hostname-like, so this is
 * almost always `tsmachine-<name>.scope`; anything outside systemd's unit
 * name alphabet is escaped as \xNN (like systemd-escape), which keeps the
 * mapping one-to-one.
 */
export function unitNameForMachine(name: string): string {
  if (name.length === 0) throw new UnitPropertyError('unit name', 'machine name is empty');
  let escaped = '';
  for (const byte of Buffer.from(name, 'utf8')) {
    const ch = String.fromCharCode(byte);
    escaped += byte < 0x80 && SAFE.test(ch) ? ch : `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  const unit = `tsmachine-${escaped}.scope`;
  if (unit.length > UNIT_NAME_MAX) throw new UnitPropertyError('unit name', `'${unit.slice(0, 40)}...' is longer than ${UNIT_NAME_MAX} characters`);
  return unit;
}
