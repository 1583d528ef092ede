/**
 * config.json as the runtime-spec (v1.0–1.1, specs-go/config.go) defines it,
 * for Linux, and a strict structural reader: wrong types are errors that name
 * the field, unknown fields are ignored (the spec says so: extensions), JSON
 * null is absent. Meaning (absolute paths, known names, combinations) is
 * checked by the planners (plan.ts and the modules it calls), which know why.
 */
import { OciConfigError, at } from './errors.js';
import { array, bool, int, int64, object, opt, req, string, stringArray, stringMap, uint32, uint64, type JsonObject } from './json.js';

export interface Spec {
  ociVersion: string;
  process?: Process;
  root?: Root;
  hostname?: string;
  domainname?: string;
  mounts?: Mount[];
  hooks?: Hooks;
  annotations?: Record<string, string>;
  linux?: Linux;
}

export interface Process {
  terminal?: boolean;
  consoleSize?: { height: number; width: number };
  user: User;
  args?: string[];
  /** Windows only: refused when set. */
  commandLine?: string;
  env?: string[];
  cwd: string;
  capabilities?: LinuxCapabilities;
  rlimits?: PosixRlimit[];
  noNewPrivileges?: boolean;
  apparmorProfile?: string;
  oomScoreAdj?: number;
  /** v1.1 sched_setattr(2); tsmachine-oci refuses it (plan.ts). */
  scheduler?: JsonObject;
  selinuxLabel?: string;
  /** v1.1 ioprio_set(2); refused. */
  ioPriority?: JsonObject;
  /** v1.2 sched_setaffinity(2) around exec; refused. */
  execCPUAffinity?: JsonObject;
}

export interface LinuxCapabilities {
  bounding?: string[];
  effective?: string[];
  inheritable?: string[];
  permitted?: string[];
  ambient?: string[];
}

export interface User {
  uid: number;
  gid: number;
  umask?: number;
  additionalGids?: number[];
  /** Windows only; ignored on Linux. */
  username?: string;
}

export interface Root {
  path: string;
  readonly?: boolean;
}

export interface Mount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
  uidMappings?: LinuxIDMapping[];
  gidMappings?: LinuxIDMapping[];
}

export interface Hook {
  path: string;
  args?: string[];
  env?: string[];
  timeout?: number;
}

export const HOOK_KINDS = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] as const;
export type HookKind = (typeof HOOK_KINDS)[number];
export type Hooks = Partial<Record<HookKind, Hook[]>>;

export interface Linux {
  uidMappings?: LinuxIDMapping[];
  gidMappings?: LinuxIDMapping[];
  sysctl?: Record<string, string>;
  resources?: LinuxResources;
  cgroupsPath?: string;
  namespaces?: LinuxNamespace[];
  devices?: LinuxDevice[];
  seccomp?: LinuxSeccomp;
  rootfsPropagation?: string;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  mountLabel?: string;
  /** Refused when present (plan.ts); kept only to say so. */
  intelRdt?: JsonObject;
  memoryPolicy?: JsonObject;
  netDevices?: JsonObject;
  personality?: { domain: string; flags?: string[] };
  timeOffsets?: Record<string, LinuxTimeOffset>;
}

export interface LinuxNamespace {
  type: string;
  path?: string;
}

export interface LinuxIDMapping {
  containerID: number;
  hostID: number;
  size: number;
}

export interface LinuxTimeOffset {
  secs?: bigint;
  nanosecs?: number;
}

export interface PosixRlimit {
  type: string;
  hard: bigint;
  soft: bigint;
}

export interface LinuxDevice {
  path: string;
  type: string;
  major?: number;
  minor?: number;
  fileMode?: number;
  uid?: number;
  gid?: number;
}

export interface LinuxDeviceCgroup {
  allow: boolean;
  type?: string;
  major?: number;
  minor?: number;
  access?: string;
}

export interface LinuxMemory {
  limit?: bigint;
  reservation?: bigint;
  swap?: bigint;
  kernel?: bigint;
  kernelTCP?: bigint;
  swappiness?: bigint;
  disableOOMKiller?: boolean;
  useHierarchy?: boolean;
  checkBeforeUpdate?: boolean;
}

export interface LinuxCPU {
  shares?: bigint;
  quota?: bigint;
  burst?: bigint;
  period?: bigint;
  realtimeRuntime?: bigint;
  realtimePeriod?: bigint;
  cpus?: string;
  mems?: string;
  idle?: bigint;
}

export interface LinuxBlockIODevice {
  major: number;
  minor: number;
}
export interface LinuxWeightDevice extends LinuxBlockIODevice {
  weight?: number;
  leafWeight?: number;
}
export interface LinuxThrottleDevice extends LinuxBlockIODevice {
  rate: bigint;
}

export interface LinuxBlockIO {
  weight?: number;
  leafWeight?: number;
  weightDevice?: LinuxWeightDevice[];
  throttleReadBpsDevice?: LinuxThrottleDevice[];
  throttleWriteBpsDevice?: LinuxThrottleDevice[];
  throttleReadIOPSDevice?: LinuxThrottleDevice[];
  throttleWriteIOPSDevice?: LinuxThrottleDevice[];
}

export interface LinuxResources {
  devices?: LinuxDeviceCgroup[];
  memory?: LinuxMemory;
  cpu?: LinuxCPU;
  pids?: { limit?: bigint };
  blockIO?: LinuxBlockIO;
  hugepageLimits?: { pageSize: string; limit: bigint }[];
  network?: { classID?: number; priorities?: { name: string; priority: number }[] };
  rdma?: Record<string, { hcaHandles?: number; hcaObjects?: number }>;
  unified?: Record<string, string>;
}

export interface LinuxSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: LinuxSyscall[];
}

export interface LinuxSyscall {
  /** v1.0.0-rc5 and older wrote one `name`; read into names. */
  names: string[];
  action: string;
  errnoRet?: number;
  args?: LinuxSeccompArg[];
}

export interface LinuxSeccompArg {
  index: number;
  value: bigint;
  valueTwo?: bigint;
  op: string;
}

const MAX_ERRNO = 4095;

/**
 * Reads config.json (already JSON.parse'd by the caller). ociVersion must be
 * 1.x: 1.0.0 through 1.2.x (and their -rc/-dev forms) differ only in added
 * optional fields, all read or refused here.
 */
export function parseSpec(json: unknown): Spec {
  const o = object(json, '');
  const ociVersion = req(o, 'ociVersion', '', string);
  if (!/^1\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?$/.test(ociVersion))
    throw new OciConfigError('ociVersion', `'${ociVersion}' is not a runtime-spec 1.x version`);
  return {
    ociVersion,
    process: opt(o, 'process', '', parseProcess),
    root: opt(o, 'root', '', (v, p) => {
      const r = object(v, p);
      return { path: req(r, 'path', p, string), readonly: opt(r, 'readonly', p, bool) };
    }),
    hostname: opt(o, 'hostname', '', string),
    domainname: opt(o, 'domainname', '', string),
    mounts: opt(o, 'mounts', '', (v, p) => array(v, p, parseMount)),
    hooks: opt(o, 'hooks', '', parseHooks),
    annotations: opt(o, 'annotations', '', stringMap),
    linux: opt(o, 'linux', '', parseLinux),
  };
}

export function parseProcess(v: unknown, p: string): Process {
  const o = object(v, p);
  return {
    terminal: opt(o, 'terminal', p, bool),
    consoleSize: opt(o, 'consoleSize', p, (v2, p2) => {
      const b = object(v2, p2);
      return { height: req(b, 'height', p2, uint32), width: req(b, 'width', p2, uint32) };
    }),
    user: req(o, 'user', p, parseUser),
    args: opt(o, 'args', p, stringArray),
    commandLine: opt(o, 'commandLine', p, string),
    env: opt(o, 'env', p, stringArray),
    // 1.0 requires cwd; runc and crun reject a config without it at validation, so do we (process.ts).
    cwd: opt(o, 'cwd', p, string) ?? '',
    capabilities: opt(o, 'capabilities', p, (v2, p2) => {
      const c = object(v2, p2);
      const set = (k: string): string[] | undefined => opt(c, k, p2, stringArray);
      return { bounding: set('bounding'), effective: set('effective'), inheritable: set('inheritable'), permitted: set('permitted'), ambient: set('ambient') };
    }),
    rlimits: opt(o, 'rlimits', p, (v2, p2) => array(v2, p2, (r, pr) => {
      const ro = object(r, pr);
      return { type: req(ro, 'type', pr, string), hard: req(ro, 'hard', pr, uint64), soft: req(ro, 'soft', pr, uint64) };
    })),
    noNewPrivileges: opt(o, 'noNewPrivileges', p, bool),
    apparmorProfile: opt(o, 'apparmorProfile', p, string),
    oomScoreAdj: opt(o, 'oomScoreAdj', p, (v2, p2) => int(v2, p2, -1000, 1000)),
    scheduler: opt(o, 'scheduler', p, object),
    selinuxLabel: opt(o, 'selinuxLabel', p, string),
    ioPriority: opt(o, 'ioPriority', p, object),
    execCPUAffinity: opt(o, 'execCPUAffinity', p, object),
  };
}

function parseUser(v: unknown, p: string): User {
  const o = object(v, p);
  return {
    // Both default to 0 when left out, as Go's zero values do.
    uid: opt(o, 'uid', p, uint32) ?? 0,
    gid: opt(o, 'gid', p, uint32) ?? 0,
    umask: opt(o, 'umask', p, (v2, p2) => int(v2, p2, 0, 0o7777)),
    additionalGids: opt(o, 'additionalGids', p, (v2, p2) => array(v2, p2, uint32)),
    username: opt(o, 'username', p, string),
  };
}

function parseIdMapping(v: unknown, p: string): LinuxIDMapping {
  const o = object(v, p);
  return { containerID: req(o, 'containerID', p, uint32), hostID: req(o, 'hostID', p, uint32), size: req(o, 'size', p, uint32) };
}

function parseMount(v: unknown, p: string): Mount {
  const o = object(v, p);
  return {
    destination: req(o, 'destination', p, string),
    type: opt(o, 'type', p, string),
    source: opt(o, 'source', p, string),
    options: opt(o, 'options', p, stringArray),
    uidMappings: opt(o, 'uidMappings', p, (v2, p2) => array(v2, p2, parseIdMapping)),
    gidMappings: opt(o, 'gidMappings', p, (v2, p2) => array(v2, p2, parseIdMapping)),
  };
}

function parseHooks(v: unknown, p: string): Hooks {
  const o = object(v, p);
  const hooks: Hooks = {};
  for (const kind of HOOK_KINDS) {
    const list = opt(o, kind, p, (v2, p2) => array(v2, p2, (h, ph) => {
      const ho = object(h, ph);
      return {
        path: req(ho, 'path', ph, string),
        args: opt(ho, 'args', ph, stringArray),
        env: opt(ho, 'env', ph, stringArray),
        // "MUST be greater than zero" (config.md)
        timeout: opt(ho, 'timeout', ph, (t, pt) => int(t, pt, 1, 0x7fffffff)),
      };
    }));
    if (list !== undefined) hooks[kind] = list;
  }
  return hooks;
}

function parseLinux(v: unknown, p: string): Linux {
  const o = object(v, p);
  return {
    uidMappings: opt(o, 'uidMappings', p, (v2, p2) => array(v2, p2, parseIdMapping)),
    gidMappings: opt(o, 'gidMappings', p, (v2, p2) => array(v2, p2, parseIdMapping)),
    sysctl: opt(o, 'sysctl', p, stringMap),
    resources: opt(o, 'resources', p, parseResourcesAt),
    cgroupsPath: opt(o, 'cgroupsPath', p, string),
    namespaces: opt(o, 'namespaces', p, (v2, p2) => array(v2, p2, (n, pn) => {
      const no = object(n, pn);
      return { type: req(no, 'type', pn, string), path: opt(no, 'path', pn, string) };
    })),
    devices: opt(o, 'devices', p, (v2, p2) => array(v2, p2, (d, pd) => {
      const dob = object(d, pd);
      return {
        path: req(dob, 'path', pd, string),
        type: req(dob, 'type', pd, string),
        major: opt(dob, 'major', pd, (x, px) => int(x, px, 0, 0xffffffff)),
        minor: opt(dob, 'minor', pd, (x, px) => int(x, px, 0, 0xffffffff)),
        fileMode: opt(dob, 'fileMode', pd, uint32),
        uid: opt(dob, 'uid', pd, uint32),
        gid: opt(dob, 'gid', pd, uint32),
      };
    })),
    seccomp: opt(o, 'seccomp', p, parseSeccomp),
    rootfsPropagation: opt(o, 'rootfsPropagation', p, string),
    maskedPaths: opt(o, 'maskedPaths', p, stringArray),
    readonlyPaths: opt(o, 'readonlyPaths', p, stringArray),
    mountLabel: opt(o, 'mountLabel', p, string),
    intelRdt: opt(o, 'intelRdt', p, object),
    memoryPolicy: opt(o, 'memoryPolicy', p, object),
    netDevices: opt(o, 'netDevices', p, object),
    personality: opt(o, 'personality', p, (v2, p2) => {
      const po = object(v2, p2);
      return { domain: req(po, 'domain', p2, string), flags: opt(po, 'flags', p2, stringArray) };
    }),
    timeOffsets: opt(o, 'timeOffsets', p, (v2, p2) => {
      const to = object(v2, p2);
      const out: Record<string, LinuxTimeOffset> = {};
      for (const k of Object.keys(to)) {
        const e = object(to[k], at(p2, k));
        out[k] = { secs: opt(e, 'secs', at(p2, k), int64), nanosecs: opt(e, 'nanosecs', at(p2, k), (x, px) => int(x, px, 0, 999_999_999)) };
      }
      return out;
    }),
  };
}

/**
 * linux.resources; also the whole document of `update --resources FILE`
 * (then with source 'resources' so messages name that file).
 */
export function parseResources(json: unknown, source = 'resources'): LinuxResources {
  try {
    return parseResourcesAt(json, '');
  } catch (e) {
    if (e instanceof OciConfigError) throw new OciConfigError(e.field, e.detail, source);
    throw e;
  }
}

function parseResourcesAt(v: unknown, p: string): LinuxResources {
  const o = object(v, p);
  const i64 = (obj: JsonObject, k: string, pp: string): bigint | undefined => opt(obj, k, pp, int64);
  const u64 = (obj: JsonObject, k: string, pp: string): bigint | undefined => opt(obj, k, pp, uint64);
  const u16 = (x: unknown, px: string): number => int(x, px, 0, 0xffff);
  const blockDev = (x: unknown, px: string): LinuxBlockIODevice & { o: JsonObject } => {
    const d = object(x, px);
    return { o: d, major: req(d, 'major', px, (y, py) => int(y, py, 0, 0xffffffff)), minor: req(d, 'minor', px, (y, py) => int(y, py, 0, 0xffffffff)) };
  };
  const throttle = (x: unknown, px: string): LinuxThrottleDevice => {
    const d = blockDev(x, px);
    return { major: d.major, minor: d.minor, rate: req(d.o, 'rate', px, uint64) };
  };
  return {
    devices: opt(o, 'devices', p, (v2, p2) => array(v2, p2, (d, pd) => {
      const dob = object(d, pd);
      return {
        allow: req(dob, 'allow', pd, bool),
        type: opt(dob, 'type', pd, string),
        // -1 is a wildcard some writers put instead of leaving the field out.
        major: opt(dob, 'major', pd, (x, px) => int(x, px, -1, 0xffffffff)),
        minor: opt(dob, 'minor', pd, (x, px) => int(x, px, -1, 0xffffffff)),
        access: opt(dob, 'access', pd, string),
      };
    })),
    memory: opt(o, 'memory', p, (v2, p2) => {
      const m = object(v2, p2);
      return {
        limit: i64(m, 'limit', p2), reservation: i64(m, 'reservation', p2), swap: i64(m, 'swap', p2),
        kernel: i64(m, 'kernel', p2), kernelTCP: i64(m, 'kernelTCP', p2), swappiness: u64(m, 'swappiness', p2),
        disableOOMKiller: opt(m, 'disableOOMKiller', p2, bool), useHierarchy: opt(m, 'useHierarchy', p2, bool),
        checkBeforeUpdate: opt(m, 'checkBeforeUpdate', p2, bool),
      };
    }),
    cpu: opt(o, 'cpu', p, (v2, p2) => {
      const c = object(v2, p2);
      return {
        shares: u64(c, 'shares', p2), quota: i64(c, 'quota', p2), burst: u64(c, 'burst', p2), period: u64(c, 'period', p2),
        realtimeRuntime: i64(c, 'realtimeRuntime', p2), realtimePeriod: u64(c, 'realtimePeriod', p2),
        cpus: opt(c, 'cpus', p2, string), mems: opt(c, 'mems', p2, string), idle: i64(c, 'idle', p2),
      };
    }),
    pids: opt(o, 'pids', p, (v2, p2) => ({ limit: i64(object(v2, p2), 'limit', p2) })),
    blockIO: opt(o, 'blockIO', p, (v2, p2) => {
      const b = object(v2, p2);
      const throttles = (k: string): LinuxThrottleDevice[] | undefined => opt(b, k, p2, (x, px) => array(x, px, throttle));
      return {
        weight: opt(b, 'weight', p2, u16),
        leafWeight: opt(b, 'leafWeight', p2, u16),
        weightDevice: opt(b, 'weightDevice', p2, (x, px) => array(x, px, (w, pw) => {
          const d = blockDev(w, pw);
          return { major: d.major, minor: d.minor, weight: opt(d.o, 'weight', pw, u16), leafWeight: opt(d.o, 'leafWeight', pw, u16) };
        })),
        throttleReadBpsDevice: throttles('throttleReadBpsDevice'),
        throttleWriteBpsDevice: throttles('throttleWriteBpsDevice'),
        throttleReadIOPSDevice: throttles('throttleReadIOPSDevice'),
        throttleWriteIOPSDevice: throttles('throttleWriteIOPSDevice'),
      };
    }),
    hugepageLimits: opt(o, 'hugepageLimits', p, (v2, p2) => array(v2, p2, (h, ph) => {
      const ho = object(h, ph);
      return { pageSize: req(ho, 'pageSize', ph, string), limit: req(ho, 'limit', ph, uint64) };
    })),
    network: opt(o, 'network', p, (v2, p2) => {
      const n = object(v2, p2);
      return {
        classID: opt(n, 'classID', p2, uint32),
        priorities: opt(n, 'priorities', p2, (x, px) => array(x, px, (e, pe) => {
          const eo = object(e, pe);
          return { name: req(eo, 'name', pe, string), priority: req(eo, 'priority', pe, uint32) };
        })),
      };
    }),
    rdma: opt(o, 'rdma', p, (v2, p2) => {
      const r = object(v2, p2);
      const out: Record<string, { hcaHandles?: number; hcaObjects?: number }> = {};
      for (const k of Object.keys(r)) {
        const e = object(r[k], at(p2, k));
        out[k] = { hcaHandles: opt(e, 'hcaHandles', at(p2, k), uint32), hcaObjects: opt(e, 'hcaObjects', at(p2, k), uint32) };
      }
      return out;
    }),
    unified: opt(o, 'unified', p, stringMap),
  };
}

function parseSeccomp(v: unknown, p: string): LinuxSeccomp {
  const o = object(v, p);
  const errno = (x: unknown, px: string): number => int(x, px, 0, MAX_ERRNO);
  return {
    // An empty defaultAction with no syscalls means no filter (runc's SetupSeccomp): seccomp.ts decides.
    defaultAction: opt(o, 'defaultAction', p, string) ?? '',
    defaultErrnoRet: opt(o, 'defaultErrnoRet', p, errno),
    architectures: opt(o, 'architectures', p, stringArray),
    flags: opt(o, 'flags', p, stringArray),
    listenerPath: opt(o, 'listenerPath', p, string),
    listenerMetadata: opt(o, 'listenerMetadata', p, string),
    syscalls: opt(o, 'syscalls', p, (v2, p2) => array(v2, p2, (s, ps) => {
      const so = object(s, ps);
      const names = opt(so, 'names', ps, stringArray);
      const name = opt(so, 'name', ps, string);
      if (names === undefined && name === undefined) throw new OciConfigError(at(ps, 'names'), 'is required');
      return {
        names: [...(names ?? []), ...(name !== undefined ? [name] : [])],
        action: req(so, 'action', ps, string),
        errnoRet: opt(so, 'errnoRet', ps, errno),
        args: opt(so, 'args', ps, (x, px) => array(x, px, (a, pa) => {
          const ao = object(a, pa);
          return { index: req(ao, 'index', pa, (y, py) => int(y, py, 0, 5)), value: req(ao, 'value', pa, uint64), valueTwo: opt(ao, 'valueTwo', pa, uint64), op: req(ao, 'op', pa, string) };
        })),
      };
    })),
  };
}
