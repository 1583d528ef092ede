/**
 * linux.devices → the nodes init makes in the container's /dev, plus the
 * ones the runtime-spec says a container always has (config-linux.md
 * "Default Devices"), a config.json entry for the same path winning.
 */
import type { OciDevicePlan } from '../kernel/oci-types.js';
import { OciConfigError, at } from './errors.js';
import { containerPath } from './mounts.js';
import type { LinuxDevice } from './spec.js';

const S_IFMT = 0o170000;

export const DEFAULT_DEVICES: readonly OciDevicePlan[] = [
  ['/dev/null', 1, 3], ['/dev/zero', 1, 5], ['/dev/full', 1, 7], ['/dev/random', 1, 8], ['/dev/urandom', 1, 9], ['/dev/tty', 5, 0],
].map(([path, major, minor]) => ({ path: path as string, type: 'c' as const, major: major as number, minor: minor as number, fileMode: 0o666, uid: 0, gid: 0 }));

export function planDevices(devices: readonly LinuxDevice[] | undefined): OciDevicePlan[] {
  const fromConfig = (devices ?? []).map((d, i): OciDevicePlan => {
    const p = at('linux.devices', i);
    if (d.type !== 'c' && d.type !== 'b' && d.type !== 'u' && d.type !== 'p')
      throw new OciConfigError(at(p, 'type'), `'${d.type}' is not a device type (c, b, u, p)`);
    if (!d.path.startsWith('/')) throw new OciConfigError(at(p, 'path'), `'${d.path}' is not an absolute path`);
    const path = containerPath(d.path);
    // A FIFO has no numbers; the others need both (config-linux.md).
    if (d.type !== 'p' && (d.major === undefined || d.minor === undefined))
      throw new OciConfigError(at(p, d.major === undefined ? 'major' : 'minor'), `is required for a '${d.type}' device`);
    // Go's os.FileMode carries the type in high bits; only the permission bits matter here (runc: &^ S_IFMT).
    const fileMode = d.fileMode === undefined ? 0o666 : d.fileMode & ~S_IFMT & 0o7777;
    return { path, type: d.type, major: d.major ?? 0, minor: d.minor ?? 0, fileMode, uid: d.uid ?? 0, gid: d.gid ?? 0 };
  });
  const seen = new Set<string>();
  for (const [i, d] of fromConfig.entries()) {
    if (seen.has(d.path)) throw new OciConfigError(at(at('linux.devices', i), 'path'), `'${d.path}' is listed twice`);
    seen.add(d.path);
  }
  return [...DEFAULT_DEVICES.filter((d) => !seen.has(d.path)), ...fromConfig];
}
