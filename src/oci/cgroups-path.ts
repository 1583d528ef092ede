/**
 * linux.cgroupsPath → the systemd unit tsmachine-oci makes. With
 * --systemd-cgroup it is runc's "SLICE:PREFIX:NAME" (podman as root sends
 * machine.slice:libpod:ID); without, a cgroupfs path cannot be honoured,
 * since every container here lives in a transient scope systemd made.
 */
import { OciConfigError } from './errors.js';

export interface UnitPlan {
  /** Parent slice of the scope. */
  slice: string;
  /** The unit: PREFIX-NAME.scope, or NAME itself when NAME ends in .slice (runc's getUnitName). */
  name: string;
}

export const DEFAULT_SLICE = 'machine.slice';
const UNIT_NAME_MAX = 255;

export function defaultUnit(id: string): UnitPlan {
  return { slice: DEFAULT_SLICE, name: checkUnitName(`tsmachine-oci-${id}.scope`) };
}

export function unitForCgroupsPath(cgroupsPath: string | undefined, opts: { id: string; systemdCgroup: boolean }): UnitPlan {
  const path = cgroupsPath ?? '';
  if (path === '') return defaultUnit(opts.id);
  if (!opts.systemdCgroup)
    // containerd gives /NAMESPACE/ID unless told otherwise: say how to tell it.
    throw new OciConfigError('linux.cgroupsPath', `'${path}' is a cgroupfs path; tsmachine-oci creates systemd scopes only: pass --systemd-cgroup with SLICE:PREFIX:NAME (containerd: SystemdCgroup = true; ctr run: --runc-systemd-cgroup --cgroup SLICE:PREFIX:NAME)`);
  const parts = path.split(':');
  if (parts.length !== 3) throw new OciConfigError('linux.cgroupsPath', `'${path}' is not SLICE:PREFIX:NAME (as --systemd-cgroup wants)`);
  const [slice0, prefix, name] = parts as [string, string, string];
  // runc's default parent for a root container is system.slice.
  const slice = slice0 === '' ? 'system.slice' : slice0;
  checkSlice(slice);
  if (name === '') throw new OciConfigError('linux.cgroupsPath', `'${path}' has an empty NAME`);
  const unit = name.endsWith('.slice') ? name : prefix === '' ? `${name}.scope` : `${prefix}-${name}.scope`;
  if (name.endsWith('.slice')) checkSlice(name);
  return { slice, name: checkUnitName(unit) };
}

/** runc's ExpandSlice rules: NAME.slice, no '/', no empty dash-separated component ("-.slice" is the root). */
export function checkSlice(slice: string): string {
  const bad = (): never => { throw new OciConfigError('linux.cgroupsPath', `'${slice}' is not a valid slice name`); };
  if (!slice.endsWith('.slice') || slice.length <= '.slice'.length || slice.includes('/')) bad();
  const stem = slice.slice(0, -'.slice'.length);
  if (stem !== '-' && stem.split('-').some((c) => c === '')) bad();
  checkUnitName(slice);
  return slice;
}

/** systemd's unit_name_is_valid alphabet; an invalid name would only fail later in StartTransientUnit. */
function checkUnitName(unit: string): string {
  if (unit.length > UNIT_NAME_MAX) throw new OciConfigError('linux.cgroupsPath', `unit name '${unit.slice(0, 40)}...' is longer than ${UNIT_NAME_MAX} characters`);
  if (!/^[A-Za-z0-9:_.\\-]+\.(scope|slice)$/.test(unit)) throw new OciConfigError('linux.cgroupsPath', `'${unit}' is not a valid systemd unit name`);
  return unit;
}
