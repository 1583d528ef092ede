import type { Parsed } from './units.js';

/**
 * Host devices a container may use. A device given with --device (docker's
 * flag; Device= in a settings file) is bound into the container's /dev and
 * allowed in the scope's device policy; DeviceAllow= (systemd's syntax) only
 * allows it, for a node that arrives another way (a Bind=). Pure: the host
 * is asked only through the `kind` callback.
 */
export interface DeviceMapping {
  /** Host path of the device node. */
  source: string;
  /** Where it appears inside the container. */
  target: string;
  /** Some of "rwm", in that order. */
  access: string;
}

export interface DeviceRule {
  /** A device path, or systemd's "char-NAME"/"block-NAME" (a driver from /proc/devices). */
  path: string;
  access: string;
}

/** Normalises an access string: a non-empty subset of r, w, m, each once, written in rwm order. */
export function deviceAccess(text: string): string | null {
  if (text === '' || !/^[rwm]+$/.test(text) || new Set(text).size !== text.length) return null;
  return ['r', 'w', 'm'].filter((c) => text.includes(c)).join('');
}

/**
 * docker's HOST[:CONTAINER][:rwm]: two fields are HOST:rwm when the second is
 * an access string, else HOST:CONTAINER; the default access is rwm, the
 * default target the host path.
 */
export function parseDevice(text: string): Parsed<DeviceMapping> {
  const parts = text.split(':');
  if (parts.length > 3 || parts.some((p) => p === '')) return { ok: false, reason: 'is not HOST[:CONTAINER][:rwm]' };
  let [source, target, access] = parts as [string, string | undefined, string | undefined];
  if (parts.length === 2 && deviceAccess(target!) !== null && !target!.startsWith('/')) [target, access] = [undefined, target];
  target ??= source;
  const acc = deviceAccess(access ?? 'rwm');
  if (acc === null) return { ok: false, reason: `has access '${access}': use some of r, w, m` };
  if (!source.startsWith('/')) return { ok: false, reason: `names '${source}', which is not an absolute path` };
  if (!target.startsWith('/dev/') || target.split('/').includes('..'))
    return { ok: false, reason: `puts the device at '${target}': it must be a path under /dev/ without '..'` };
  return { ok: true, value: { source, target, access: acc } };
}

/** systemd's DeviceAllow=: "PATH [rwm]" (default rwm), PATH a /dev path or char-NAME/block-NAME. */
export function parseDeviceRule(text: string): Parsed<DeviceRule> {
  const words = text.trim().split(/\s+/);
  if (words.length > 2 || words[0] === '') return { ok: false, reason: "is not 'PATH [rwm]'" };
  const [path, access = 'rwm'] = words as [string, string | undefined];
  if (!path.startsWith('/dev/') && !/^(char|block)-[^\s/]+$/.test(path))
    return { ok: false, reason: `names '${path}': use a /dev path, char-NAME or block-NAME` };
  const acc = deviceAccess(access);
  if (acc === null) return { ok: false, reason: `has access '${access}': use some of r, w, m` };
  return { ok: true, value: { path, access: acc } };
}
