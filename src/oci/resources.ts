/**
 * linux.resources → systemd unit properties, following runc's systemd driver
 * for cgroup v2 (opencontainers/cgroups systemd/v2.go genV2ResourcesProperties,
 * unifiedResToSystemdProps, devices/systemd.go) and crun's cgroup-systemd.c.
 * tsmachine-oci has no cgroupfs fallback: what systemd cannot express is
 * refused here (runtime-spec: "If the conversion is not possible the runtime
 * MUST generate an error"), or, for cgroup v1-only knobs that mean nothing on
 * the unified hierarchy, skipped with a warning as runc's fs2 driver does.
 * The same function serves `update --resources` (forUpdate).
 */
import { cpuMask, type UnitProperty } from '../systemd/properties.js';
import { OciConfigError, at } from './errors.js';
import { parseResources, type LinuxDeviceCgroup, type LinuxResources } from './spec.js';

const U64_MAX = (1n << 64n) - 1n;
/** The kernel's default CFS period, which systemd assumes when none is set. */
const DEFAULT_CPU_PERIOD = 100000n;
const MAX_CPU = 8191;

export interface ResourceOptions {
  /** Where the resources sit in the document, for messages: 'linux.resources' or '' (update). */
  path?: string;
  /** update --resources: only what the document sets; the device list only when it has one. */
  forUpdate?: boolean;
  /** Receives notes about settings skipped because they mean nothing on cgroup v2. */
  warnings?: string[];
}

const t = (name: string, value: bigint): UnitProperty => [name, { signature: 't', value }];

export function resourceProperties(r: LinuxResources | undefined, opts: ResourceOptions = {}): UnitProperty[] {
  const base = opts.path ?? 'linux.resources';
  const warnings = opts.warnings ?? [];
  const p = (...keys: (string | number)[]): string => keys.reduce<string>(at, base);
  const props: UnitProperty[] = [];
  const res = r ?? {};

  if (!opts.forUpdate || res.devices !== undefined) props.push(...deviceProperties(res.devices ?? [], p('devices'), warnings));

  const mem = res.memory ?? {};
  const limit = mem.limit ?? 0n;
  if (mem.limit !== undefined && limit !== 0n) props.push(t('MemoryMax', limit < 0n ? U64_MAX : limit));
  if (mem.reservation !== undefined && mem.reservation !== 0n) props.push(t('MemoryLow', mem.reservation < 0n ? U64_MAX : mem.reservation));
  // Also without a swap value: unlimited memory means unlimited swap too (runc, for v1's semantics).
  if (mem.swap !== undefined || mem.limit !== undefined) {
    const swap = swapMax(mem.swap ?? 0n, limit, p('memory', 'swap'));
    if (swap !== 0n) props.push(t('MemorySwapMax', swap < 0n ? U64_MAX : swap));
  }
  for (const k of ['kernel', 'kernelTCP', 'swappiness'] as const)
    if (mem[k] !== undefined) warnings.push(`${p('memory', k)} is ignored: cgroup v2 has no such limit`);
  if (mem.disableOOMKiller === true) warnings.push(`${p('memory', 'disableOOMKiller')} is ignored: cgroup v2 cannot disable the OOM killer`);

  const cpu = res.cpu ?? {};
  if (cpu.idle !== undefined && cpu.idle !== 0n) {
    // systemd ≥ 252 writes cpu.idle=1 for CPUWeight=0 (runc's shouldSetCPUIdle); 0 is the default.
    if (cpu.idle !== 1n) throw new OciConfigError(p('cpu', 'idle'), `${cpu.idle} is not 0 or 1`);
    props.push(t('CPUWeight', 0n));
  } else if (cpu.shares !== undefined && cpu.shares !== 0n) {
    props.push(t('CPUWeight', cpuWeightFromShares(cpu.shares, p('cpu', 'shares'))));
  }
  props.push(...cpuQuotaProperties(cpu.quota ?? 0n, cpu.period ?? 0n, p('cpu', 'quota')));
  if (cpu.burst !== undefined && cpu.burst !== 0n) throw new OciConfigError(p('cpu', 'burst'), 'cannot be set through systemd: not supported by tsmachine-oci');
  for (const k of ['realtimeRuntime', 'realtimePeriod'] as const)
    if (cpu[k] !== undefined && cpu[k] !== 0n) throw new OciConfigError(p('cpu', k), 'needs the cgroup v1 cpu controller: not supported by tsmachine-oci');

  const pids = res.pids?.limit;
  if (pids !== undefined) {
    // -1 is "max". 0 is "no limit" too, as the runtime-spec ≤ 1.1 era read it
    // and podman writes it: crun 1.8 and runc 1.1 set nothing for 0. (runc ≥ 1.2
    // follows the newer spec text, where 0 is a real limit, and sends 1, since
    // systemd refuses TasksMax=0.)
    props.push(t('TasksMax', pids <= 0n ? U64_MAX : pids));
  }

  if (cpu.cpus !== undefined && cpu.cpus.trim() !== '') props.push(['AllowedCPUs', { signature: 'ay', value: rangeMask(cpu.cpus, p('cpu', 'cpus')) }]);
  if (cpu.mems !== undefined && cpu.mems.trim() !== '') props.push(['AllowedMemoryNodes', { signature: 'ay', value: rangeMask(cpu.mems, p('cpu', 'mems')) }]);

  const bio = res.blockIO ?? {};
  if (bio.weight !== undefined && bio.weight !== 0) props.push(t('IOWeight', ioWeightFromBlkio(bio.weight, p('blockIO', 'weight'))));
  if (bio.leafWeight !== undefined && bio.leafWeight !== 0) warnings.push(`${p('blockIO', 'leafWeight')} is ignored: cgroup v2 has no leaf weight`);
  const devWeights = (bio.weightDevice ?? []).flatMap((d, i): [string, bigint][] =>
    d.weight === undefined || d.weight === 0 ? [] : [[blockPath(d.major, d.minor), ioWeightFromBlkio(d.weight, p('blockIO', 'weightDevice', i, 'weight'))]]);
  if (devWeights.length > 0) props.push(['IODeviceWeight', { signature: 'a(st)', value: devWeights }]);
  const throttles = [
    ['throttleReadBpsDevice', 'IOReadBandwidthMax'], ['throttleWriteBpsDevice', 'IOWriteBandwidthMax'],
    ['throttleReadIOPSDevice', 'IOReadIOPSMax'], ['throttleWriteIOPSDevice', 'IOWriteIOPSMax'],
  ] as const;
  for (const [key, prop] of throttles) {
    const list = bio[key] ?? [];
    // systemd takes a device path; /dev/block/MAJ:MIN is udev's stable link to it.
    if (list.length > 0) props.push([prop, { signature: 'a(st)', value: list.map((d) => [blockPath(d.major, d.minor), d.rate === 0n ? U64_MAX : d.rate]) }]);
  }

  if ((res.hugepageLimits ?? []).length > 0) throw new OciConfigError(p('hugepageLimits'), 'cannot be set through systemd: not supported by tsmachine-oci');
  if (res.rdma !== undefined && Object.keys(res.rdma).length > 0) throw new OciConfigError(p('rdma'), 'cannot be set through systemd: not supported by tsmachine-oci');
  if (res.network?.classID !== undefined || (res.network?.priorities ?? []).length > 0)
    warnings.push(`${p('network')} is ignored: net_cls and net_prio are cgroup v1 controllers`);

  if (res.unified !== undefined) props.push(...unifiedProperties(res.unified, p('unified'), !opts.forUpdate));
  return props;
}

/**
 * `update --resources FILE`: the file's JSON (a linux.resources object) →
 * the properties for SetUnitProperties, only what it sets. Messages name
 * `source` (the file) instead of config.json.
 */
export function updateResourceProperties(json: unknown, warnings: string[] = [], source = 'resources'): UnitProperty[] {
  const r = parseResources(json, source);
  try {
    return resourceProperties(r, { path: '', forUpdate: true, warnings });
  } catch (e) {
    if (e instanceof OciConfigError) throw new OciConfigError(e.field, e.detail, source);
    throw e;
  }
}

/**
 * cgroup v1's cpu.shares (2..262144, default 1024) → cgroup v2's weight
 * (1..10000, default 100), the linear map runc 1.1 and crun 1.8 use.
 * (runc 1.3 moved to a quadratic fit; podman on this host pairs with the linear one.)
 */
export function cpuWeightFromShares(shares: bigint, path = 'linux.resources.cpu.shares'): bigint {
  if (shares < 2n || shares > 262144n) throw new OciConfigError(path, `${shares} is out of range 2..262144`);
  return 1n + ((shares - 2n) * 9999n) / 262142n;
}

/**
 * blkio.weight (10..1000) → io.weight (1..10000), runc's linear
 * ConvertBlkIOToIOWeightValue. (crun reads it as a BFQ weight and inverts
 * systemd's BFQ mapping instead: 500 is 4950 here, 4500 there.)
 */
export function ioWeightFromBlkio(weight: number, path = 'linux.resources.blockIO.weight'): bigint {
  if (weight < 10 || weight > 1000) throw new OciConfigError(path, `${weight} is out of range 10..1000`);
  return 1n + (BigInt(weight - 10) * 9999n) / 990n;
}

/**
 * OCI's swap is memory+swap (cgroup v1's memsw); v2's memory.swap.max is the
 * swap alone: limit subtracted (runc's ConvertMemorySwapToCgroupV2Value).
 * Returns -1 for unlimited, 0 for nothing to set.
 */
export function swapMax(swap: bigint, limit: bigint, path = 'linux.resources.memory.swap'): bigint {
  if (limit === -1n && swap === 0n) return -1n;
  if (swap === -1n || swap === 0n) return swap;
  if (limit === -1n) return swap;
  if (limit === 0n) throw new OciConfigError(path, 'cannot be set without memory.limit (it is memory+swap)');
  if (limit < 0n) throw new OciConfigError(path.replace(/swap$/, 'limit'), `${limit} is not a memory limit`);
  if (swap < limit) throw new OciConfigError(path, `${swap} is below memory.limit ${limit} (swap is memory+swap)`);
  return swap - limit;
}

/**
 * cpu.quota/cpu.period → CPUQuotaPeriodUSec and CPUQuotaPerSecUSec, runc's
 * addCPUQuota: systemd keeps the quota as a percentage, so the per-second
 * value is rounded up to a multiple of 10 ms; a negative quota is unlimited.
 */
export function cpuQuotaProperties(quota: bigint, period: bigint, path = 'linux.resources.cpu.quota'): UnitProperty[] {
  const props: UnitProperty[] = [];
  if (period !== 0n) {
    // systemd's range for CPUQuotaPeriodSec= is 1ms..1000s (it clamps; the kernel refuses outside)
    if (period < 1000n || period > 1_000_000n) throw new OciConfigError(path.replace(/quota$/, 'period'), `${period} is out of range 1000..1000000 (microseconds)`);
    props.push(t('CPUQuotaPeriodUSec', period));
  }
  if (quota !== 0n || period !== 0n) {
    let perSec = U64_MAX;
    if (quota > 0n) {
      perSec = (quota * 1_000_000n) / (period === 0n ? DEFAULT_CPU_PERIOD : period);
      if (perSec % 10000n !== 0n) perSec = (perSec / 10000n + 1n) * 10000n;
    }
    props.push(t('CPUQuotaPerSecUSec', perSec));
  }
  return props;
}

/** "0-3,8" (cpuset syntax) → systemd's little-endian bitmask (runc's RangeToBits). */
export function rangeMask(text: string, path: string): Uint8Array {
  const ids: number[] = [];
  for (const raw of text.split(',')) {
    const part = raw.trim();
    if (part === '') continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (m === null) throw new OciConfigError(path, `'${text}' is not a list like 0-3,8`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (lo > hi) throw new OciConfigError(path, `'${part}' is a backwards range`);
    if (hi > MAX_CPU) throw new OciConfigError(path, `${hi} is above ${MAX_CPU}`);
    for (let i = lo; i <= hi; i++) ids.push(i);
  }
  if (ids.length === 0) throw new OciConfigError(path, `'${text}' names nothing`);
  return cpuMask(ids);
}

function blockPath(major: number, minor: number): string {
  return `/dev/block/${major}:${minor}`;
}

// --- devices ---------------------------------------------------------------

interface Rule {
  type: 'a' | 'b' | 'c';
  major: number; // -1 = any
  minor: number;
  access: string; // some of r, w, m
}

/**
 * What runc adds to every container's device list after config.json's
 * (specconv AllowedDevices): mknod of anything (the policy decides what may
 * be opened, not what may exist), the runtime-spec's default devices, the
 * container's ptys and ptmx, and /dev/net/tun (docker always had it).
 */
export const RUNC_ALLOWED_DEVICES: readonly Rule[] = [
  { type: 'c', major: -1, minor: -1, access: 'm' }, { type: 'b', major: -1, minor: -1, access: 'm' },
  { type: 'c', major: 1, minor: 3, access: 'rwm' }, { type: 'c', major: 1, minor: 8, access: 'rwm' },
  { type: 'c', major: 1, minor: 7, access: 'rwm' }, { type: 'c', major: 5, minor: 0, access: 'rwm' },
  { type: 'c', major: 1, minor: 5, access: 'rwm' }, { type: 'c', major: 1, minor: 9, access: 'rwm' },
  { type: 'c', major: 136, minor: -1, access: 'rwm' }, { type: 'c', major: 5, minor: 2, access: 'rwm' },
  { type: 'c', major: 10, minor: 200, access: 'rwm' },
];

function parseRule(d: LinuxDeviceCgroup, path: string): Rule & { allow: boolean } {
  const type = d.type ?? 'a';
  if (type !== 'a' && type !== 'b' && type !== 'c') throw new OciConfigError(at(path, 'type'), `'${type}' is not a, b or c`);
  const access = d.access ?? '';
  // runc: "device access at %d field cannot be empty"
  if (access === '' || !/^[rwm]+$/.test(access)) throw new OciConfigError(at(path, 'access'), `'${access}' is not some of r, w, m`);
  const norm = ['r', 'w', 'm'].filter((c) => access.includes(c)).join('');
  return { type, major: d.major ?? -1, minor: d.minor ?? -1, access: norm, allow: d.allow };
}

const sub = (a: string, b: string): string => [...a].filter((c) => !b.includes(c)).join('');
const union = (a: string, b: string): string => ['r', 'w', 'm'].filter((c) => a.includes(c) || b.includes(c)).join('');

/**
 * The device list, as runc's emulator reduces it (devices_emulator.go): a
 * rule for everything ('a', or any major and minor) resets the list to
 * allow-all or deny-all; after a deny-all, allows add and denies take
 * access away from the same rule. systemd keeps only allow lists: with
 * allow-all and denies after it (a block list) runc falls back to deny-all
 * with a warning, which is what is done here.
 */
function reduceRules(rules: readonly (Rule & { allow: boolean })[], warnings: string[], path: string): { allowAll: boolean; allow: Rule[] } {
  let allowAll = false;
  let list: Rule[] = [];
  for (const r of rules) {
    // Type 'a' is every device whatever its numbers and access say (cgroup
    // v1's "a", and runc's emulator): it resets the list.
    if (r.type === 'a') {
      allowAll = r.allow;
      list = [];
      continue;
    }
    const same = list.find((x) => x.type === r.type && x.major === r.major && x.minor === r.minor);
    if (r.allow !== allowAll) {
      if (same) same.access = union(same.access, r.access);
      else list.push({ type: r.type, major: r.major, minor: r.minor, access: r.access });
    } else if (same) {
      same.access = sub(same.access, r.access);
      if (same.access === '') list = list.filter((x) => x !== same);
    }
  }
  if (allowAll && list.length > 0) {
    warnings.push(`${path}: systemd takes no deny rules after allow-all; applying deny-all instead (as runc)`);
    return { allowAll: false, allow: [] };
  }
  return { allowAll, allow: list };
}

/**
 * DevicePolicy=strict: only the DeviceAllow= list, nothing implicit. Not
 * "closed", which would also admit systemd's own pseudo devices (and
 * /dev/ptmx) whatever config.json said: the list here already has what
 * runc grants every container, and a config that denies them means it.
 * The empty DeviceAllow= first clears the list a live unit has (update).
 */
export function deviceProperties(devices: readonly LinuxDeviceCgroup[], path = 'linux.resources.devices', warnings: string[] = []): UnitProperty[] {
  const rules = [...devices.map((d, i) => parseRule(d, at(path, i))), ...RUNC_ALLOWED_DEVICES.map((r) => ({ ...r, allow: true }))];
  const { allowAll, allow } = reduceRules(rules, warnings, path);
  if (allowAll) {
    return [['DeviceAllow', { signature: 'a(ss)', value: [] }], ['DevicePolicy', { signature: 's', value: 'auto' }]];
  }
  const entries: [string, string][] = [];
  for (const r of allow) {
    const prefix = r.type === 'b' ? 'block-' : 'char-';
    if (r.major === -1) {
      // systemd has no "any major, this minor" form (runc skips it with a warning too)
      if (r.minor !== -1) { warnings.push(`${path}: rule ${r.type} *:${r.minor} cannot be expressed for systemd; skipped`); continue; }
      entries.push([`${prefix}*`, r.access]);
    } else if (r.minor === -1) {
      entries.push([`${prefix}${r.major}`, r.access]); // systemd ≥ 240 takes char-MAJOR
    } else {
      entries.push([`/dev/${r.type === 'b' ? 'block' : 'char'}/${r.major}:${r.minor}`, r.access]);
    }
  }
  return [
    ['DeviceAllow', { signature: 'a(ss)', value: [] }],
    ['DevicePolicy', { signature: 's', value: 'strict' }],
    ['DeviceAllow', { signature: 'a(ss)', value: entries }],
  ];
}

// --- unified ---------------------------------------------------------------

const MEMORY_KEYS: Readonly<Record<string, string>> = {
  'memory.high': 'MemoryHigh', 'memory.low': 'MemoryLow', 'memory.min': 'MemoryMin', 'memory.max': 'MemoryMax', 'memory.swap.max': 'MemorySwapMax',
};

/** The cgroup v2 keys runc's unifiedResToSystemdProps converts; others are refused (no cgroupfs writes here). */
export const UNIFIED_KEYS: readonly string[] = ['cpu.idle', 'cpu.max', 'cpu.weight', 'cpuset.cpus', 'cpuset.mems', ...Object.keys(MEMORY_KEYS), 'pids.max', 'memory.oom.group'];

function unifiedProperties(unified: Record<string, string>, path: string, atCreation: boolean): UnitProperty[] {
  const props: UnitProperty[] = [];
  const num = (v: string, p: string, allowMax: boolean): bigint => {
    if (allowMax && v === 'max') return U64_MAX;
    if (!/^\d+$/.test(v)) throw new OciConfigError(p, `'${v}' is not a number${allowMax ? " or 'max'" : ''}`);
    const n = BigInt(v);
    if (n > U64_MAX) throw new OciConfigError(p, `${v} is too large`);
    return n;
  };
  for (const [k, raw] of Object.entries(unified)) {
    const p = at(path, k);
    if (k.includes('/')) throw new OciConfigError(p, 'must be a file name (no slashes)');
    if (k.indexOf('.') <= 0) throw new OciConfigError(p, 'must be CONTROLLER.PARAMETER');
    const v = raw.trim();
    if (MEMORY_KEYS[k] !== undefined) {
      props.push(t(MEMORY_KEYS[k]!, num(v, p, true)));
    } else if (k === 'pids.max') {
      const n = num(v, p, true);
      props.push(t('TasksMax', n === 0n ? 1n : n));
    } else if (k === 'cpu.weight') {
      const n = num(v, p, false);
      if (n < 1n || n > 10000n) throw new OciConfigError(p, `${v} is out of range 1..10000`);
      if (unified['cpu.idle']?.trim() === '1') continue; // cpu.idle wins, as in runc
      props.push(t('CPUWeight', n));
    } else if (k === 'cpu.idle') {
      if (v === '1') props.push(t('CPUWeight', 0n));
      else if (v !== '0') throw new OciConfigError(p, `'${v}' is not 0 or 1`);
    } else if (k === 'cpu.max') {
      const f = v.split(/\s+/);
      if (f.length < 1 || f.length > 2 || f[0] === '') throw new OciConfigError(p, `'${v}' is not 'QUOTA [PERIOD]'`);
      const quota = f[0] === 'max' ? 0n : num(f[0]!, p, false);
      const period = f.length === 2 ? num(f[1]!, p, false) : DEFAULT_CPU_PERIOD;
      if (quota === 0n && f[0] !== 'max') throw new OciConfigError(p, 'quota 0 is not a limit');
      props.push(...cpuQuotaProperties(f[0] === 'max' ? -1n : quota, period, p));
    } else if (k === 'cpuset.cpus' || k === 'cpuset.mems') {
      props.push([k === 'cpuset.cpus' ? 'AllowedCPUs' : 'AllowedMemoryNodes', { signature: 'ay', value: rangeMask(v, p) }]);
    } else if (k === 'memory.oom.group') {
      // systemd sets it only when the unit starts (OOMPolicy= of a scope, v253+).
      if (!atCreation) throw new OciConfigError(p, 'can only be set at create: systemd takes OOMPolicy= when the scope starts');
      if (v === '1') props.push(['OOMPolicy', { signature: 's', value: 'kill' }]);
      else if (v === '0') props.push(['OOMPolicy', { signature: 's', value: 'continue' }]);
      else throw new OciConfigError(p, `'${v}' is not 0 or 1`);
    } else {
      throw new OciConfigError(p, `cannot be set through systemd: tsmachine-oci converts only ${UNIFIED_KEYS.join(', ')}`);
    }
  }
  return props;
}
