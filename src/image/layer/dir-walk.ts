import { createReadStream, lstatSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { lgetxattr, llistxattr } from '../../kernel/fsops.js';
import type { WriteEntry } from '../tar/index.js';

/**
 * A directory tree as tar entries, in sorted order (so the same tree always
 * gives the same diffID). Hard links are kept as links; nothing is followed.
 */

function major(rdev: number): number {
  return ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
}
function minor(rdev: number): number {
  return (rdev & 0xff) | ((rdev >>> 12) & ~0xff);
}

function xattrsOf(path: string): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  let names: string[] = [];
  try { names = llistxattr(path); } catch { return m; }
  for (const n of names.sort()) {
    const v = lgetxattr(path, n);
    if (v !== null) m.set(n, v);
  }
  return m;
}

function base(rel: string, st: Stats, abs: string): Omit<WriteEntry, 'type'> {
  return { path: rel, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000), xattrs: xattrsOf(abs) };
}

export function* walkDir(root: string): Generator<WriteEntry> {
  const links = new Map<string, string>();
  function* visit(rel: string): Generator<WriteEntry> {
    const abs = rel === '' ? root : join(root, rel);
    const st = lstatSync(abs);
    const path = rel === '' ? './' : `./${rel}`;
    if (st.isDirectory()) {
      yield { ...base(path, st, abs), type: 'dir' };
      for (const e of readdirSync(abs).sort()) yield* visit(rel === '' ? e : `${rel}/${e}`);
      return;
    }
    const key = `${st.dev}:${st.ino}`;
    if (st.nlink > 1) {
      const first = links.get(key);
      if (first !== undefined) {
        yield { ...base(path, st, abs), type: 'hardlink', linkname: first };
        return;
      }
      links.set(key, path);
    }
    if (st.isFile()) {
      yield { ...base(path, st, abs), type: 'file', size: st.size, body: () => createReadStream(abs, { highWaterMark: 1 << 20 }) };
    } else if (st.isSymbolicLink()) {
      yield { ...base(path, st, abs), type: 'symlink', linkname: readlinkSync(abs) };
    } else if (st.isCharacterDevice() || st.isBlockDevice()) {
      yield { ...base(path, st, abs), type: st.isCharacterDevice() ? 'char' : 'block', devmajor: major(st.rdev), devminor: minor(st.rdev) };
    } else if (st.isFIFO()) {
      yield { ...base(path, st, abs), type: 'fifo' };
    }
    // Sockets are not archivable (tar skips them too).
  }
  yield* visit('');
}
