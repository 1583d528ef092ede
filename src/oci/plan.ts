/**
 * config.json → everything `tsmachine-oci create` does: the native request
 * (less what the runtime supplies: fifo, state file, console, preserved fds,
 * the compiled seccomp program), the scope and its properties, the hooks, the
 * machine name. Pure: the caller read config.json and passes the parsed
 * spec and the bundle directory; nothing here touches the machine.
 */
import { posix } from 'node:path';
import type { OciCreateRequest, OciHookPlan, OciNamespacePlan, SeccompProfilePlan } from '../kernel/oci-types.js';
import type { UnitProperty } from '../systemd/properties.js';
import { annotationProperties, machineName } from './annotations.js';
import { unitForCgroupsPath, type UnitPlan } from './cgroups-path.js';
import { planDevices } from './devices.js';
import { OciConfigError, at } from './errors.js';
import { containerPath, planMount, rootfsPropagation } from './mounts.js';
import { hasNamespace, planNamespaces } from './namespaces.js';
import { planProcess, type ProcessPlan } from './process.js';
import { resourceProperties } from './resources.js';
import { planSeccomp } from './seccomp.js';
import { HOOK_KINDS, type Hook, type HookKind, type Spec } from './spec.js';

/** The request fields config.json decides. */
export type OciCreateFields = Omit<OciCreateRequest, 'fifoPath' | 'stateFile' | 'consoleFd' | 'preserveFds' | 'process'> & { process: ProcessPlan };

export interface CreatePlan {
  request: OciCreateFields;
  /** linux.seccomp, for kernel/seccomp-compile.ts; absent: no filter. */
  seccomp?: SeccompProfilePlan;
  /** The scope to make (the runtime adds Slice=unit.slice and PIDs=[init]). */
  unit: UnitPlan;
  /** Description, Delegate, DefaultDependencies, accounting, linux.resources, org.systemd.property.* annotations, in that order. */
  properties: UnitProperty[];
  /** All six kinds; createContainer and startContainer are also in the request (the stage runs them). */
  hooks: Record<HookKind, OciHookPlan[]>;
  annotations: Record<string, string>;
  machineName: string;
  /** The bundle directory, absolute, as the state JSON reports it. */
  bundle: string;
  /** process.selinuxLabel / linux.mountLabel: the runtime refuses them when SELinux is off. */
  selinuxLabel?: string;
  mountLabel?: string;
  /** What was skipped or approximated, one line each, for --log (runc warns likewise). */
  warnings: string[];
}

export interface CreateOptions {
  id: string;
  /** --systemd-cgroup: cgroupsPath is SLICE:PREFIX:NAME. */
  systemdCgroup: boolean;
  /** --no-pivot */
  noPivot?: boolean;
}

export function planCreate(spec: Spec, bundleDir: string, opts: CreateOptions): CreatePlan {
  if (!posix.isAbsolute(bundleDir)) throw new OciConfigError('', `bundle directory '${bundleDir}' is not absolute (internal: the caller resolves it)`);
  const bundle = posix.normalize(bundleDir);
  const warnings: string[] = [];
  const linux = spec.linux ?? {};

  if (spec.process === undefined) throw new OciConfigError('process', 'is required to create a container');
  if (spec.root === undefined || spec.root.path === '') throw new OciConfigError('root.path', 'is required');
  const rootfs = posix.isAbsolute(spec.root.path) ? posix.normalize(spec.root.path) : posix.join(bundle, spec.root.path);

  for (const k of ['intelRdt', 'memoryPolicy', 'netDevices'] as const)
    if (linux[k] !== undefined) throw new OciConfigError(at('linux', k), 'is not supported by tsmachine-oci');
  if (linux.personality !== undefined && (linux.personality.domain !== 'LINUX' || (linux.personality.flags ?? []).length > 0))
    throw new OciConfigError('linux.personality', `${linux.personality.domain}${(linux.personality.flags ?? []).length > 0 ? ' with flags' : ''} is not supported by tsmachine-oci (only LINUX)`);

  const ns = planNamespaces(spec.linux, warnings);
  const newNs = (t: OciNamespacePlan['type']): boolean => ns.namespaces.some((n) => n.type === t && n.path === undefined);

  let hostname = spec.hostname;
  let domainname = spec.domainname;
  for (const [k, v] of [['hostname', hostname], ['domainname', domainname]] as const) {
    if (v === undefined || v === '') continue;
    // sethostname(2)/setdomainname(2) take at most 64 bytes: say so now, not from init.
    if (new TextEncoder().encode(v).length > 64) throw new OciConfigError(k, `'${v.slice(0, 20)}...' is longer than 64 bytes`);
    // runc: "unable to set hostname without a private UTS namespace"
    if (!hasNamespace(ns.namespaces, 'uts')) throw new OciConfigError(k, `'${v}' needs a uts namespace in linux.namespaces`);
    if (!newNs('uts')) {
      // CRI's containers join the pod's uts namespace and still carry its name.
      warnings.push(`${k} '${v}' is not set: the uts namespace is joined by path`);
      if (k === 'hostname') hostname = undefined; else domainname = undefined;
    }
  }

  const mounts = (spec.mounts ?? []).map((m, i) => {
    const r = planMount(m, bundle, at('mounts', i));
    warnings.push(...r.warnings);
    return r.plan;
  });

  const sysctl = Object.entries(linux.sysctl ?? {}).map(([k, v]): [string, string] => {
    checkSysctl(k, ns.namespaces);
    return [k, v];
  });

  const paths = (list: string[] | undefined, field: string): string[] => (list ?? []).map((p, i) => {
    if (!p.startsWith('/')) throw new OciConfigError(at(field, i), `'${p}' is not an absolute path`);
    return containerPath(p);
  });

  const { process, selinuxLabel } = planProcess(spec.process, 'process', warnings);

  const hooks = planHooks(spec.hooks ?? {});
  const unit = unitForCgroupsPath(linux.cgroupsPath, opts);
  const annotations = { ...(spec.annotations ?? {}) };
  const name = machineName(opts.id, annotations, warnings);

  const properties: UnitProperty[] = [
    ['Description', { signature: 's', value: `tsmachine-oci container ${opts.id}` }],
    // The payload may run systemd or its own cgroup manager (runc sets it for every scope).
    ['Delegate', { signature: 'b', value: true }],
    // No ordering against shutdown.target etc.: the container's lifetime is its init's (runc).
    ['DefaultDependencies', { signature: 'b', value: false }],
    ['MemoryAccounting', { signature: 'b', value: true }],
    ['CPUAccounting', { signature: 'b', value: true }],
    ['IOAccounting', { signature: 'b', value: true }],
    ['TasksAccounting', { signature: 'b', value: true }],
    ...resourceProperties(linux.resources, { path: 'linux.resources', warnings }),
    ...annotationProperties(annotations),
  ];

  const request: OciCreateFields = {
    id: opts.id,
    rootfs,
    readonlyRoot: spec.root.readonly ?? false,
    namespaces: ns.namespaces,
    uidMappings: ns.uidMappings,
    gidMappings: ns.gidMappings,
    ...(ns.timeOffsets !== undefined ? { timeOffsets: ns.timeOffsets } : {}),
    ...(hostname !== undefined && hostname !== '' ? { hostname } : {}),
    ...(domainname !== undefined && domainname !== '' ? { domainname } : {}),
    mounts,
    devices: planDevices(linux.devices),
    maskedPaths: paths(linux.maskedPaths, 'linux.maskedPaths'),
    readonlyPaths: paths(linux.readonlyPaths, 'linux.readonlyPaths'),
    sysctl,
    rootfsPropagation: rootfsPropagation(linux.rootfsPropagation),
    noPivot: opts.noPivot ?? false,
    process,
    createContainerHooks: hooks.createContainer,
    startContainerHooks: hooks.startContainer,
  };
  const seccomp = planSeccomp(linux.seccomp);
  return {
    request,
    ...(seccomp !== undefined ? { seccomp } : {}),
    unit,
    properties,
    hooks,
    annotations,
    machineName: name,
    bundle,
    ...(selinuxLabel !== undefined ? { selinuxLabel } : {}),
    ...(linux.mountLabel !== undefined && linux.mountLabel !== '' ? { mountLabel: linux.mountLabel } : {}),
    warnings,
  };
}

function planHooks(hooks: Partial<Record<HookKind, Hook[]>>): Record<HookKind, OciHookPlan[]> {
  const out = {} as Record<HookKind, OciHookPlan[]>;
  for (const kind of HOOK_KINDS) {
    out[kind] = (hooks[kind] ?? []).map((h, i) => {
      const p = at(at('hooks', kind), i);
      // "This specification extends the IEEE standard in that path MUST be absolute." (config.md)
      if (!h.path.startsWith('/')) throw new OciConfigError(at(p, 'path'), `'${h.path}' is not an absolute path`);
      return {
        path: h.path,
        args: h.args !== undefined && h.args.length > 0 ? [...h.args] : [h.path],
        env: [...(h.env ?? [])],
        ...(h.timeout !== undefined ? { timeout: h.timeout } : {}),
      };
    });
  }
  return out;
}

/**
 * runc's sysctl validation (libcontainer/configs/validate): a key is allowed
 * only when the namespace that owns it is the container's, else the write
 * would change the host. The key goes to init as written (dots, or the
 * slash form that keeps an interface name like eth0.100 whole).
 */
const IPC_SYSCTLS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);

function checkSysctl(key: string, namespaces: readonly OciNamespacePlan[]): void {
  const p = at('linux.sysctl', key);
  const need = (t: OciNamespacePlan['type']): void => {
    if (!hasNamespace(namespaces, t)) throw new OciConfigError(p, `needs ${t === 'ipc' ? 'an' : 'a'} ${t} namespace in linux.namespaces (it would change the host's)`);
  };
  // runc's convertSysctlVariableToDotsSeparator: in the slash form, dots and slashes trade places.
  const k = key.includes('/') ? key.replace(/[./]/g, (c) => (c === '.' ? '/' : '.')) : key;
  if (!/^[A-Za-z0-9_]+(\.[A-Za-z0-9_/@:-]+)+$/.test(k)) throw new OciConfigError(p, 'is not a sysctl name');
  if (IPC_SYSCTLS.has(k) || k.startsWith('fs.mqueue.')) return need('ipc');
  if (k.startsWith('net.')) return need('network');
  if (k === 'kernel.domainname') return need('uts');
  if (k === 'kernel.hostname') throw new OciConfigError(p, 'conflicts with the hostname field: set that instead');
  // ucounts of a user namespace; without one they would be the host's limits
  if (k.startsWith('user.')) return need('user');
  throw new OciConfigError(p, 'is not namespaced: it would change the host');
}
