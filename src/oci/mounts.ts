/**
 * mounts[] → OciMountPlan: runc's option table (libcontainer/specconv
 * spec_linux.go: mountFlags, mountPropagationMapping, recAttrFlags,
 * extensionFlags, complexFlags), so a config.json means here what it means to
 * runc. Options not in the table are filesystem data, joined with commas.
 */
import { posix } from 'node:path';
import type { OciMountPlan } from '../kernel/oci-types.js';
import { OciConfigError, at } from './errors.js';
import type { Mount } from './spec.js';

/** linux/mount.h */
export const MS = {
  RDONLY: 1, NOSUID: 2, NODEV: 4, NOEXEC: 8, SYNCHRONOUS: 16, REMOUNT: 32, MANDLOCK: 64, DIRSYNC: 128,
  NOSYMFOLLOW: 256, NOATIME: 1024, NODIRATIME: 2048, BIND: 4096, MOVE: 8192, REC: 16384, SILENT: 32768,
  UNBINDABLE: 1 << 17, PRIVATE: 1 << 18, SLAVE: 1 << 19, SHARED: 1 << 20, RELATIME: 1 << 21,
  I_VERSION: 1 << 23, STRICTATIME: 1 << 24, LAZYTIME: 1 << 25,
} as const;

/** [clear, flag]: `clear` options take the flag off (rw clears MS_RDONLY). runc's mountFlags. */
export const MOUNT_FLAGS: Readonly<Record<string, readonly [clear: boolean, flag: number]>> = {
  async: [true, MS.SYNCHRONOUS], atime: [true, MS.NOATIME], bind: [false, MS.BIND], dev: [true, MS.NODEV],
  diratime: [true, MS.NODIRATIME], dirsync: [false, MS.DIRSYNC], exec: [true, MS.NOEXEC], iversion: [false, MS.I_VERSION],
  lazytime: [false, MS.LAZYTIME], loud: [true, MS.SILENT], mand: [false, MS.MANDLOCK], noatime: [false, MS.NOATIME],
  nodev: [false, MS.NODEV], nodiratime: [false, MS.NODIRATIME], noexec: [false, MS.NOEXEC], noiversion: [true, MS.I_VERSION],
  nolazytime: [true, MS.LAZYTIME], nomand: [true, MS.MANDLOCK], norelatime: [true, MS.RELATIME], nostrictatime: [true, MS.STRICTATIME],
  nosuid: [false, MS.NOSUID], nosymfollow: [false, MS.NOSYMFOLLOW], rbind: [false, MS.BIND | MS.REC], relatime: [false, MS.RELATIME],
  remount: [false, MS.REMOUNT], ro: [false, MS.RDONLY], rw: [true, MS.RDONLY], silent: [false, MS.SILENT],
  strictatime: [false, MS.STRICTATIME], suid: [true, MS.NOSUID], sync: [false, MS.SYNCHRONOUS], symfollow: [true, MS.NOSYMFOLLOW],
};

export const PROPAGATION: Readonly<Record<string, number>> = {
  rprivate: MS.PRIVATE | MS.REC, private: MS.PRIVATE, rslave: MS.SLAVE | MS.REC, slave: MS.SLAVE,
  rshared: MS.SHARED | MS.REC, shared: MS.SHARED, runbindable: MS.UNBINDABLE | MS.REC, unbindable: MS.UNBINDABLE,
};

/**
 * Options this runtime knows but does not carry out. 'rro'/'rrw' are the
 * recursive read-only pair (OciMountPlan.recursiveReadonly); runc's other
 * mount_setattr options would need attributes the stage does not take.
 */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  idmap: 'ID-mapped mounts are not supported by tsmachine-oci',
  ridmap: 'ID-mapped mounts are not supported by tsmachine-oci',
  ...Object.fromEntries(['rnosuid', 'rsuid', 'rnodev', 'rdev', 'rnoexec', 'rexec', 'rnodiratime', 'rdiratime', 'rrelatime', 'rnorelatime', 'rnoatime', 'ratime', 'rstrictatime', 'rnostrictatime', 'rnosymfollow', 'rsymfollow']
    .map((o) => [o, 'recursive mount attributes other than rro/rrw are not supported by tsmachine-oci'])),
};

/** Every option name with a meaning here (features.json mountOptions). */
export const KNOWN_MOUNT_OPTIONS: readonly string[] = [...Object.keys(MOUNT_FLAGS), 'defaults', ...Object.keys(PROPAGATION), 'rro', 'rrw', 'tmpcopyup'].sort();

export interface ParsedMountOptions {
  flags: number;
  propagation: number[];
  data: string;
  recursiveReadonly: boolean;
  /** tmpcopyup was asked (and is ignored: see planMount). */
  copyUp: boolean;
}

/** Option strings → flags, in order (a later option wins over an earlier one, as in runc). */
export function parseMountOptions(options: readonly string[], path: string): ParsedMountOptions {
  let flags = 0;
  let recursiveReadonly = false;
  let copyUp = false;
  const propagation: number[] = [];
  const data: string[] = [];
  options.forEach((o, i) => {
    const f = MOUNT_FLAGS[o];
    if (f !== undefined) {
      flags = f[0] ? flags & ~f[1] : flags | f[1];
    } else if (PROPAGATION[o] !== undefined) {
      propagation.push(PROPAGATION[o]!);
    } else if (o === 'rro' || o === 'rrw') {
      recursiveReadonly = o === 'rro';
    } else if (o === 'tmpcopyup') {
      copyUp = true;
    } else if (UNSUPPORTED[o] !== undefined) {
      throw new OciConfigError(at(path, i), `'${o}': ${UNSUPPORTED[o]}`);
    } else if (o === 'defaults') {
      // mount(8)'s "defaults" is rw,suid,dev,exec,auto,nouser,async: nothing to set.
    } else if (o.includes('\0')) {
      throw new OciConfigError(at(path, i), 'contains a NUL byte');
    } else {
      data.push(o);
    }
  });
  return { flags, propagation, data: data.join(','), recursiveReadonly, copyUp };
}

/** runc's CleanPath for destinations: lexical, relative ones taken from / (runtime-spec 1.0 allowed them). */
export function containerPath(p: string): string {
  return posix.normalize(posix.join('/', p));
}

export interface MountPlanResult {
  plan: OciMountPlan;
  warnings: string[];
}

/**
 * One mount. A bind is a mount whose type is 'bind' or whose options say
 * bind/rbind (runc ignores the type of a bind); its relative source is
 * taken from the bundle directory, as runc does (runc runs in the bundle).
 */
export function planMount(m: Mount, bundleDir: string, path: string): MountPlanResult {
  const warnings: string[] = [];
  const opts = parseMountOptions(m.options ?? [], at(path, 'options'));
  if (m.uidMappings !== undefined || m.gidMappings !== undefined)
    throw new OciConfigError(at(path, m.uidMappings !== undefined ? 'uidMappings' : 'gidMappings'), 'asks for an ID-mapped mount: not supported by tsmachine-oci');
  for (const [k, v] of [['destination', m.destination], ['source', m.source ?? ''], ['type', m.type ?? '']] as const)
    if (v.includes('\0')) throw new OciConfigError(at(path, k), 'contains a NUL byte');
  if (m.destination === '') throw new OciConfigError(at(path, 'destination'), 'is empty');
  const destination = containerPath(m.destination);
  // runtime-spec 1.0 allowed relative destinations; runc takes them from / and warns.
  if (!m.destination.startsWith('/')) warnings.push(`mount destination '${m.destination}' is not absolute; taken as ${destination}`);
  let flags = opts.flags;
  const bind = (flags & MS.BIND) !== 0 || m.type === 'bind';
  let type = m.type ?? '';
  let source = m.source ?? '';
  if (bind) {
    flags |= MS.BIND;
    type = 'bind';
    if (source === '') throw new OciConfigError(at(path, 'source'), 'is required for a bind mount');
    source = posix.isAbsolute(source) ? posix.normalize(source) : posix.join(bundleDir, source);
  } else if (type === '') {
    throw new OciConfigError(at(path, 'type'), `is required for a mount that is not a bind (destination ${destination})`);
  }
  if (opts.copyUp) {
    // crun and runc copy the directory's old content into the new tmpfs; the
    // stage has no such step, so the tmpfs starts empty. Refusing would break
    // `podman run --tmpfs`, whose default options carry tmpcopyup.
    warnings.push(`mount ${destination}: option tmpcopyup is ignored (the tmpfs starts empty)`);
  }
  // A fresh filesystem has no submounts yet: 'rro' is plain MS_RDONLY there.
  const recursiveReadonly = opts.recursiveReadonly && bind;
  if (opts.recursiveReadonly && !bind) flags |= MS.RDONLY;
  return { plan: { destination, type, source, flags, propagation: opts.propagation, data: opts.data, recursiveReadonly }, warnings };
}

/**
 * linux.rootfsPropagation → the propagation of / before the mounts:
 * MS_SLAVE|MS_REC when absent, as runc (mount events of the host reach
 * the container, never the other way).
 */
export function rootfsPropagation(value: string | undefined, path = 'linux.rootfsPropagation'): number {
  if (value === undefined || value === '') return MS.SLAVE | MS.REC;
  const f = PROPAGATION[value];
  if (f === undefined) throw new OciConfigError(path, `'${value}' is not one of ${Object.keys(PROPAGATION).join(', ')}`);
  return f;
}
