import {
  closeSync, fchmodSync, fchownSync, futimesSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync,
  openSync, rmSync, symlinkSync, unlinkSync, utimesSync, chmodSync, writeSync, constants, type Stats,
} from 'node:fs';
import { join } from 'node:path';
import { lsetxattr, mknod, S_IFBLK, S_IFCHR, S_IFIFO } from '../../kernel/fsops.js';
import { ImageError } from '../errors.js';
import { memberComponents, symlinkEscapes, type TarEntry } from '../tar/index.js';
import { whiteoutOf } from './whiteouts.js';

/**
 * Writes tar members into one layer directory, in overlayfs's on-disk form:
 * OCI whiteouts become 0/0 character devices, opaque markers become the
 * trusted.overlay.opaque xattr, so the directory can be a lowerdir as is.
 *
 * Safety rests on one rule: no symlink is ever followed while creating.
 * Every parent component is checked with lstat (and the directory is ours
 * alone, mode 0700 under the store's tmp/, so nothing changes it between the
 * check and the use), final components are created with O_EXCL/mknod/
 * symlink/link which never follow, and metadata calls use the lchown/lutimes/fchmod forms.
 */

const OPAQUE_XATTR = 'trusted.overlay.opaque';

function lstatOrNull(p: string): Stats | null {
  try {
    return lstatSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Xattrs an archive may not set: overlay's own would redirect lookups or fake whiteouts. */
function allowedXattr(name: string): boolean {
  return !name.startsWith('trusted.overlay.');
}

export class LayerWriter {
  /** Relative paths known to be real directories (saves an lstat per component per member). */
  private readonly dirs = new Set<string>(['']);
  private readonly dirMeta = new Map<string, { mode: number; mtime: number }>();
  /** Bytes of regular-file content written. */
  bytes = 0;

  constructor(readonly root: string) {}

  private abs(rel: string): string {
    return rel === '' ? this.root : join(this.root, rel);
  }

  private fail(entry: TarEntry, why: string): never {
    throw new ImageError(`tar member '${entry.path}': ${why}`);
  }

  /** Ensures every component of `parts` is a real directory, creating missing ones; refuses symlinks. */
  private ensureDirs(entry: TarEntry, parts: string[], create: boolean): string {
    let rel = '';
    for (const c of parts) {
      rel = rel === '' ? c : `${rel}/${c}`;
      if (this.dirs.has(rel)) continue;
      const st = lstatOrNull(this.abs(rel));
      if (st === null) {
        if (!create) this.fail(entry, `'${rel}' does not exist`);
        mkdirSync(this.abs(rel), 0o755);
      } else if (st.isSymbolicLink()) {
        this.fail(entry, `would write through the symlink '${rel}'`);
      } else if (!st.isDirectory()) {
        this.fail(entry, `'${rel}' is not a directory`);
      }
      this.dirs.add(rel);
    }
    return rel;
  }

  /** Clears whatever sits at `rel` so a new member can take its place (tar's "last one wins"). */
  private clear(rel: string, keepDir: boolean): Stats | null {
    const p = this.abs(rel);
    const st = lstatOrNull(p);
    if (st === null) return null;
    if (st.isDirectory()) {
      if (keepDir) return st;
      rmSync(p, { recursive: true, force: true });
      for (const d of [...this.dirs]) if (d === rel || d.startsWith(`${rel}/`)) this.dirs.delete(d);
      for (const d of [...this.dirMeta.keys()]) if (d === rel || d.startsWith(`${rel}/`)) this.dirMeta.delete(d);
    } else {
      unlinkSync(p);
    }
    return null;
  }

  private setXattrs(entry: TarEntry, p: string): void {
    for (const [name, value] of entry.xattrs) {
      if (!allowedXattr(name)) continue;
      try {
        lsetxattr(p, name, value);
      } catch (e) {
        this.fail(entry, `cannot set xattr ${name}: ${(e as Error).message}`);
      }
    }
  }

  async apply(entry: TarEntry, body: AsyncIterable<Buffer>): Promise<void> {
    const parts = memberComponents(entry.path);
    if (parts.length === 0) {
      if (entry.type !== 'dir') this.fail(entry, 'the layer root must be a directory');
      lchownSync(this.root, entry.uid, entry.gid);
      this.setXattrs(entry, this.root);
      this.dirMeta.set('', { mode: entry.mode, mtime: entry.mtime });
      return;
    }
    const base = parts[parts.length - 1]!;
    const parentParts = parts.slice(0, -1);
    const parent = this.ensureDirs(entry, parentParts, true);

    const wh = whiteoutOf(base);
    if (wh !== null) {
      if (wh.kind === 'meta') return;
      if (wh.kind === 'opaque') {
        lsetxattr(this.abs(parent), OPAQUE_XATTR, Buffer.from('y'));
        return;
      }
      const rel = parent === '' ? wh.name : `${parent}/${wh.name}`;
      this.clear(rel, false);
      mknod(this.abs(rel), S_IFCHR, 0, 0, 0);
      return;
    }

    const rel = parts.join('/');
    const p = this.abs(rel);
    switch (entry.type) {
      case 'dir': {
        if (this.clear(rel, true) === null) mkdirSync(p, 0o700);
        this.dirs.add(rel);
        lchownSync(p, entry.uid, entry.gid);
        this.setXattrs(entry, p);
        // Mode and mtime last: children would bump the mtime, and a 0555 dir must stay writable meanwhile.
        this.dirMeta.set(rel, { mode: entry.mode, mtime: entry.mtime });
        return;
      }
      case 'file': {
        this.clear(rel, false);
        const fd = openSync(p, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
        try {
          for await (const chunk of body) {
            let off = 0;
            while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
            this.bytes += chunk.length;
          }
          // chown clears setuid and file capabilities, so it goes first.
          fchownSync(fd, entry.uid, entry.gid);
          fchmodSync(fd, entry.mode);
          this.setXattrs(entry, p);
          futimesSync(fd, entry.mtime, entry.mtime);
        } finally {
          closeSync(fd);
        }
        return;
      }
      case 'symlink': {
        if (entry.linkname === '') this.fail(entry, 'empty symlink target');
        if (symlinkEscapes(parentParts.length, entry.linkname)) this.fail(entry, `symlink target '${entry.linkname}' leaves the layer`);
        this.clear(rel, false);
        symlinkSync(entry.linkname, p);
        lchownSync(p, entry.uid, entry.gid);
        this.setXattrs(entry, p);
        lutimesSync(p, entry.mtime, entry.mtime);
        return;
      }
      case 'hardlink': {
        let targetParts: string[];
        try {
          targetParts = memberComponents(entry.linkname, 'link target');
        } catch {
          this.fail(entry, `hard link target '${entry.linkname}' leaves the layer`);
        }
        if (targetParts.length === 0) this.fail(entry, 'hard link to the layer root');
        this.ensureDirs(entry, targetParts.slice(0, -1), false);
        const target = this.abs(targetParts.join('/'));
        const st = lstatOrNull(target);
        if (st === null) this.fail(entry, `hard link target '${entry.linkname}' does not exist`);
        if (st.isDirectory()) this.fail(entry, `hard link target '${entry.linkname}' is a directory`);
        if (target === p) return;
        this.clear(rel, false);
        // link(2) does not follow a symlink at the target: the link is to the symlink itself.
        linkSync(target, p);
        return;
      }
      case 'char':
      case 'block':
      case 'fifo': {
        this.clear(rel, false);
        const type = entry.type === 'char' ? S_IFCHR : entry.type === 'block' ? S_IFBLK : S_IFIFO;
        mknod(p, type, 0o600, entry.devmajor, entry.devminor);
        lchownSync(p, entry.uid, entry.gid);
        // mknod applied the umask; the node is ours and not a symlink, so chmod is exact.
        chmodSync(p, entry.mode);
        this.setXattrs(entry, p);
        lutimesSync(p, entry.mtime, entry.mtime);
        return;
      }
    }
  }

  /** Applies directory modes and mtimes, deepest first, once no more children will be added. */
  finish(): void {
    const depth = (r: string): number => (r === '' ? 0 : r.split('/').length);
    const rels = [...this.dirMeta.keys()].sort((a, b) => depth(b) - depth(a));
    for (const rel of rels) {
      const m = this.dirMeta.get(rel)!;
      const p = this.abs(rel);
      chmodSync(p, m.mode);
      utimesSync(p, m.mtime, m.mtime);
    }
  }
}
