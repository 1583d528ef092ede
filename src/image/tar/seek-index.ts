import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { posix } from 'node:path';
import type { ByteSource } from './byte-reader.js';
import { ImageError } from '../errors.js';
import type { BlobRef } from '../types.js';
import { memberComponents } from './paths.js';
import { TarReader } from './reader.js';

/**
 * Random access into an uncompressed tar file (an OCI layout or a
 * docker-archive saved as one file): one pass over the headers, seeking past
 * bodies, gives each member's byte range, so blobs stream straight from the
 * archive without being extracted first.
 */

/** Reads a file by offset; skip() seeks instead of reading. */
class FileByteSource implements ByteSource {
  position = 0;
  constructor(private readonly fd: number, private readonly size: number) {}
  async read(n: number): Promise<Buffer> {
    const want = Math.max(0, Math.min(n, this.size - this.position));
    const b = Buffer.alloc(want);
    let got = 0;
    while (got < want) {
      const r = readSync(this.fd, b, got, want - got, this.position + got);
      if (r === 0) break;
      got += r;
    }
    this.position += got;
    return b.subarray(0, got);
  }
  chunk(max: number): Promise<Buffer> {
    return this.read(Math.min(max, 1 << 16));
  }
  async drain(): Promise<void> {
    this.position = this.size;
  }
  skip(n: number): number {
    const k = Math.max(0, Math.min(n, this.size - this.position));
    this.position += k;
    return k;
  }
}

interface Member {
  offset: number;
  size: number;
  /** Set for symlinks (docker save links duplicate layers). */
  link?: string;
}

export class TarIndex {
  private constructor(readonly file: string, private readonly members: Map<string, Member>) {}

  /** `label` names the archive in errors when `file` is only our temp copy of it (stdin, a decompressed archive). */
  static async open(file: string, label: string = file): Promise<TarIndex> {
    const fd = openSync(file, 'r');
    const members = new Map<string, Member>();
    try {
      const tar = new TarReader(new FileByteSource(fd, fstatSync(fd).size));
      for (let e = await tar.next(); e !== null; e = await tar.next()) {
        // Members are only ever looked up, never extracted, but a name that leaves the archive is refused as the
        // unpacker would refuse it in a layer: no writer of images makes one, so it can only be an attack.
        memberComponents(e.path);
        const name = posix.normalize(e.path).replace(/^\/+/, '').replace(/\/+$/, '');
        if (e.type === 'file') members.set(name, { offset: tar.bodyOffset, size: e.size });
        else if (e.type === 'symlink') members.set(name, { offset: 0, size: 0, link: e.linkname });
        else if (e.type === 'hardlink') {
          const t = members.get(posix.normalize(e.linkname));
          if (t) members.set(name, t);
        }
      }
    } catch (e) {
      if (e instanceof ImageError) throw new ImageError(`${label}: ${e.message}`, { cause: e });
      throw e;
    } finally {
      closeSync(fd);
    }
    return new TarIndex(file, members);
  }

  has(path: string): boolean {
    return this.lookup(path) !== null;
  }

  /** A member's byte range, following in-archive symlinks (never out of the archive). */
  lookup(path: string): BlobRef | null {
    let p = posix.normalize(path).replace(/^\/+/, '');
    for (let hops = 0; hops < 8; hops++) {
      const m = this.members.get(p);
      if (!m) return null;
      if (m.link === undefined) return { file: this.file, offset: m.offset, size: m.size, name: p };
      p = posix.normalize(posix.join(posix.dirname(p), m.link)).replace(/^\/+/, '');
      if (p.startsWith('..')) return null;
    }
    return null;
  }

  names(): string[] {
    return [...this.members.keys()];
  }
}
