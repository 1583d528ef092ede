import { nativeAddon } from './addon.js';
import { KernelError } from './errors.js';
import { ENODATA } from './errno.js';

/**
 * The few filesystem syscalls Node has no binding for, used by the image
 * unpacker (whiteouts are device nodes, opaque dirs are xattrs) and a
 * container's teardown (removeTree); flock is lock.ts's. Every wrapper throws
 * KernelError carrying syscall, errno and path.
 */
function failed(syscall: string, errno: number, path: string, what = ''): KernelError {
  return new KernelError({ stage: 'kernel', syscall, what, errno, path });
}

export const S_IFIFO = 0o010000;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;

/** mknod(2); `type` is S_IFCHR, S_IFBLK or S_IFIFO. Never follows a final symlink (mknod creates). */
export function mknod(path: string, type: number, perm: number, major = 0, minor = 0): void {
  const rc = nativeAddon().mknod(path, type | (perm & 0o7777), major >>> 0, minor >>> 0);
  if (rc < 0) throw failed('mknod', -rc, path);
}

/** lsetxattr(2): never follows a symlink at `path`. */
export function lsetxattr(path: string, name: string, value: Buffer): void {
  const rc = nativeAddon().lsetxattr(path, name, value);
  if (rc < 0) throw failed('lsetxattr', -rc, path, name);
}

/** lgetxattr(2), or null when the attribute is absent. */
export function lgetxattr(path: string, name: string): Buffer | null {
  const r = nativeAddon().lgetxattr(path, name);
  if (typeof r !== 'number') return r;
  if (-r === ENODATA) return null;
  throw failed('lgetxattr', -r, path, name);
}

/** llistxattr(2): attribute names of `path` itself (not a symlink's target). */
export function llistxattr(path: string): string[] {
  const r = nativeAddon().llistxattr(path);
  if (typeof r === 'number') throw failed('llistxattr', -r, path);
  return r.toString('utf8').split('\0').filter((s) => s.length > 0);
}

/**
 * rm -r that stays on path's file system (a mount under it makes this fail,
 * not vanish); a missing path is fine. Native: Node's rmSync walks in
 * JavaScript, slow even for a container's few files.
 */
export function removeTree(path: string): void {
  const r = nativeAddon().removeTree(path);
  if (r < 0) throw failed('remove', -r, path);
}
