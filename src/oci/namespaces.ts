/**
 * linux.namespaces, the ID mappings and time offsets, with the runtime-spec's
 * rules (config-linux.md) and runc's validator's (libcontainer/configs/validate).
 */
import type { IdMap, OciNamespacePlan, OciNamespaceType, OciTimeOffset } from '../kernel/oci-types.js';
import { OciConfigError, at } from './errors.js';
import type { Linux, LinuxIDMapping } from './spec.js';

export const NAMESPACE_TYPES: readonly OciNamespaceType[] = ['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup', 'time'];

export interface NamespacesPlan {
  namespaces: OciNamespacePlan[];
  uidMappings: IdMap[];
  gidMappings: IdMap[];
  timeOffsets?: { monotonic?: OciTimeOffset; boottime?: OciTimeOffset };
}

export function planNamespaces(linux: Linux | undefined, warnings: string[]): NamespacesPlan {
  const list = linux?.namespaces ?? [];
  const namespaces: OciNamespacePlan[] = [];
  const seen = new Map<string, number>();
  list.forEach((ns, i) => {
    const p = at('linux.namespaces', i);
    if (!(NAMESPACE_TYPES as readonly string[]).includes(ns.type))
      throw new OciConfigError(at(p, 'type'), `'${ns.type}' is not a namespace type (${NAMESPACE_TYPES.join(', ')})`);
    const first = seen.get(ns.type);
    // "If a namespace type is specified more than once, the runtime MUST generate an error" (config-linux.md)
    if (first !== undefined) throw new OciConfigError(at(p, 'type'), `'${ns.type}' repeats linux.namespaces[${first}]`);
    seen.set(ns.type, i);
    if (ns.path !== undefined && ns.path !== '') {
      if (!ns.path.startsWith('/')) throw new OciConfigError(at(p, 'path'), `'${ns.path}' is not an absolute path`);
      if (ns.path.includes('\0')) throw new OciConfigError(at(p, 'path'), 'contains a NUL byte');
      namespaces.push({ type: ns.type as OciNamespaceType, path: ns.path });
    } else {
      namespaces.push({ type: ns.type as OciNamespaceType });
    }
  });
  const find = (t: OciNamespaceType): OciNamespacePlan | undefined => namespaces.find((n) => n.type === t);

  // Everything of the container is mounted by its init in its own mount
  // namespace: without one it would mount over the host's (runc refuses too).
  const mnt = find('mount');
  if (mnt === undefined || mnt.path !== undefined)
    throw new OciConfigError('linux.namespaces', mnt === undefined ? 'has no mount namespace: tsmachine-oci needs a new one' : 'joins a mount namespace by path: tsmachine-oci needs a new one');

  const user = find('user');
  const uidGiven = (linux?.uidMappings?.length ?? 0) > 0;
  const gidGiven = (linux?.gidMappings?.length ?? 0) > 0;
  let uidMappings: IdMap[] = [];
  let gidMappings: IdMap[] = [];
  if (user === undefined) {
    if (uidGiven || gidGiven)
      throw new OciConfigError(uidGiven ? 'linux.uidMappings' : 'linux.gidMappings', 'needs a user namespace in linux.namespaces');
  } else if (user.path !== undefined) {
    // containerd and CRI-O send both the path and the mappings of the
    // namespace it names; the joined namespace's own maps are what count.
    if (uidGiven || gidGiven) warnings.push('linux.uidMappings/gidMappings are ignored: the user namespace is joined by path');
  } else {
    if (!uidGiven || !gidGiven)
      throw new OciConfigError(!uidGiven ? 'linux.uidMappings' : 'linux.gidMappings', 'is required with a new user namespace');
    uidMappings = idMaps(linux!.uidMappings!, 'linux.uidMappings');
    gidMappings = idMaps(linux!.gidMappings!, 'linux.gidMappings');
  }

  let timeOffsets: NamespacesPlan['timeOffsets'];
  const offsets = linux?.timeOffsets;
  if (offsets !== undefined && Object.keys(offsets).length > 0) {
    const time = find('time');
    if (time === undefined || time.path !== undefined)
      throw new OciConfigError('linux.timeOffsets', time === undefined ? 'needs a time namespace in linux.namespaces' : 'cannot be set on a time namespace joined by path');
    timeOffsets = {};
    for (const [clock, o] of Object.entries(offsets)) {
      if (clock !== 'monotonic' && clock !== 'boottime')
        throw new OciConfigError(at('linux.timeOffsets', clock), 'is not a clock: use monotonic or boottime');
      timeOffsets[clock] = { secs: o.secs ?? 0n, nanosecs: o.nanosecs ?? 0 };
    }
  }
  return { namespaces, uidMappings, gidMappings, ...(timeOffsets !== undefined ? { timeOffsets } : {}) };
}

/** The kernel takes at most 340 lines in uid_map (5.x); each range must be non-empty. */
function idMaps(maps: readonly LinuxIDMapping[], path: string): IdMap[] {
  if (maps.length > 340) throw new OciConfigError(path, `has ${maps.length} entries: the kernel takes at most 340`);
  return maps.map((m, i) => {
    if (m.size === 0) throw new OciConfigError(at(at(path, i), 'size'), 'is 0');
    if (m.containerID + m.size > 2 ** 32 || m.hostID + m.size > 2 ** 32)
      throw new OciConfigError(at(path, i), 'runs past ID 4294967295');
    return { containerID: m.containerID, hostID: m.hostID, size: m.size };
  });
}

/** Is namespace `type` of the container a new one or a joined one (not the host's)? */
export function hasNamespace(plan: readonly OciNamespacePlan[], type: OciNamespaceType): boolean {
  return plan.some((n) => n.type === type);
}
