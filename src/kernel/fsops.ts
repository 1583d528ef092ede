import { koffi } from './koffi.js';
import { TsmError } from '../errors.js';

/**
 * The few filesystem syscalls Node has no binding for, used by the image
 * unpacker (whiteouts are device nodes, opaque dirs are xattrs) and the layer
 * store (flock locks that die with their holder, so kill -9 never leaves a
 * stale lock). Every wrapper throws FsOpsError carrying syscall, errno and path.
 */
export class FsOpsError extends TsmError {
  readonly module = 'kernel';
  constructor(readonly syscall: string, readonly errno: number, readonly path: string) {
    super(`${syscall}(${path}): ${errnoName(errno)}`);
  }
}

const ERRNO_NAMES: Record<number, string> = {
  1: 'EPERM', 2: 'ENOENT', 11: 'EAGAIN', 13: 'EACCES', 17: 'EEXIST', 20: 'ENOTDIR', 21: 'EISDIR',
  22: 'EINVAL', 28: 'ENOSPC', 30: 'EROFS', 34: 'ERANGE', 61: 'ENODATA', 95: 'EOPNOTSUPP',
};
export function errnoName(e: number): string {
  return ERRNO_NAMES[e] ?? `errno ${e}`;
}

export const EAGAIN = 11;
export const EWOULDBLOCK = 11;
export const ENODATA = 61;
export const ERANGE = 34;

export const S_IFIFO = 0o010000;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;

export const LOCK_SH = 1;
export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const LOCK_UN = 8;

interface Libc {
  mknod: (path: string, mode: number, dev: bigint) => number;
  lsetxattr: (path: string, name: string, value: Buffer, size: number, flags: number) => number;
  lgetxattr: (path: string, name: string, value: Buffer | null, size: number) => number;
  llistxattr: (path: string, list: Buffer | null, size: number) => number;
  flock: (fd: number, op: number) => number;
}

let libc: Libc | null = null;
function lib(): Libc {
  if (libc) return libc;
  const l = koffi().load('libc.so.6');
  libc = {
    // glibc >= 2.33 exports mknod itself (no more __xmknod); Debian 12 has 2.36.
    mknod: l.func('int mknod(const char *path, uint32_t mode, uint64_t dev)') as Libc['mknod'],
    lsetxattr: l.func('int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)') as Libc['lsetxattr'],
    lgetxattr: l.func('intptr_t lgetxattr(const char *path, const char *name, _Out_ void *value, size_t size)') as Libc['lgetxattr'],
    llistxattr: l.func('intptr_t llistxattr(const char *path, _Out_ void *list, size_t size)') as Libc['llistxattr'],
    flock: l.func('int flock(int fd, int op)') as Libc['flock'],
  };
  return libc;
}

/** Linux's makedev() encoding of a device number. */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major >>> 0);
  const mi = BigInt(minor >>> 0);
  return ((ma & 0xfffn) << 8n) | ((ma & ~0xfffn) << 32n) | (mi & 0xffn) | ((mi & ~0xffn) << 12n);
}

/** mknod(2); `type` is S_IFCHR, S_IFBLK or S_IFIFO. Never follows a final symlink (mknod creates). */
export function mknod(path: string, type: number, perm: number, major = 0, minor = 0): void {
  if (lib().mknod(path, type | (perm & 0o7777), makedev(major, minor)) === -1) {
    throw new FsOpsError('mknod', koffi().errno(), path);
  }
}

/** lsetxattr(2): never follows a symlink at `path`. */
export function lsetxattr(path: string, name: string, value: Buffer): void {
  if (lib().lsetxattr(path, name, value, value.length, 0) === -1) {
    throw new FsOpsError('lsetxattr', koffi().errno(), `${path} ${name}`);
  }
}

/** lgetxattr(2), or null when the attribute is absent. */
export function lgetxattr(path: string, name: string): Buffer | null {
  for (;;) {
    const n = lib().lgetxattr(path, name, null, 0);
    if (n === -1) {
      const e = koffi().errno();
      if (e === ENODATA) return null;
      throw new FsOpsError('lgetxattr', e, `${path} ${name}`);
    }
    const buf = Buffer.alloc(Number(n));
    const m = lib().lgetxattr(path, name, buf, buf.length);
    if (m === -1) {
      const e = koffi().errno();
      if (e === ERANGE) continue; // grew between the two calls
      if (e === ENODATA) return null;
      throw new FsOpsError('lgetxattr', e, `${path} ${name}`);
    }
    return buf.subarray(0, Number(m));
  }
}

/** llistxattr(2): attribute names of `path` itself (not a symlink's target). */
export function llistxattr(path: string): string[] {
  for (;;) {
    const n = lib().llistxattr(path, null, 0);
    if (n === -1) throw new FsOpsError('llistxattr', koffi().errno(), path);
    if (Number(n) === 0) return [];
    const buf = Buffer.alloc(Number(n));
    const m = lib().llistxattr(path, buf, buf.length);
    if (m === -1) {
      const e = koffi().errno();
      if (e === ERANGE) continue;
      throw new FsOpsError('llistxattr', e, path);
    }
    return buf.subarray(0, Number(m)).toString('utf8').split('\0').filter((s) => s.length > 0);
  }
}

/**
 * flock(2). With LOCK_NB returns false instead of blocking when the lock is
 * held elsewhere. The kernel drops the lock when the holder dies.
 */
export function flock(fd: number, op: number, path = `fd ${fd}`): boolean {
  if (lib().flock(fd, op) === -1) {
    const e = koffi().errno();
    if ((op & LOCK_NB) !== 0 && e === EWOULDBLOCK) return false;
    throw new FsOpsError('flock', e, path);
  }
  return true;
}
