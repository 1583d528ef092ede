/**
 * One tar member as the reader hands it out, after pax extended headers and
 * GNU long names have been folded in. Paths are exactly what the archive
 * says; paths.ts decides whether they are acceptable.
 */
export type TarType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo';

export interface TarEntry {
  path: string;
  type: TarType;
  /** Permission bits incl. setuid/setgid/sticky. */
  mode: number;
  uid: number;
  gid: number;
  /** Bytes of body that follow (regular files only; 0 otherwise). */
  size: number;
  /** Seconds since the epoch, fractional from pax. */
  mtime: number;
  /** Symlink target or hard link's earlier member. */
  linkname: string;
  devmajor: number;
  devminor: number;
  /** Extended attributes from pax SCHILY.xattr.* / LIBARCHIVE.xattr.*. */
  xattrs: Map<string, Buffer>;
}

export const BLOCK = 512;

/** Bytes of padding after a body of `size` bytes. */
export function padding(size: number): number {
  const r = size % BLOCK;
  return r === 0 ? 0 : BLOCK - r;
}
