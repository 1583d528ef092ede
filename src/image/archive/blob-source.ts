import { closeSync, lstatSync, openSync, readSync } from 'node:fs';
import { join, posix } from 'node:path';
import { ImageError } from '../errors.js';
import type { BlobRef } from '../types.js';
import type { TarIndex } from '../tar/index.js';

/**
 * The files of an OCI layout or docker-archive, whether it is a directory or
 * one tar file: paths inside the layout map to byte ranges. Manifests and
 * configs are small and read whole; layers are streamed by range.
 */
export interface LayoutFiles {
  /** Where the layout came from, for messages. */
  readonly origin: string;
  lookup(path: string): BlobRef | null;
}

/** Metadata documents (index, manifest, config) are tiny; a cap keeps a hostile one from eating memory. */
const MAX_JSON = 16 << 20;

export function readBytes(ref: BlobRef): Buffer {
  if (ref.size > MAX_JSON) throw new ImageError(`${ref.name}: ${ref.size} bytes is too large for a manifest or config`);
  const fd = openSync(ref.file, 'r');
  try {
    const b = Buffer.alloc(ref.size);
    let got = 0;
    while (got < ref.size) {
      const n = readSync(fd, b, got, ref.size - got, ref.offset + got);
      if (n === 0) throw new ImageError(`${ref.name}: truncated`);
      got += n;
    }
    return b;
  } finally {
    closeSync(fd);
  }
}

export function parseJson(bytes: Buffer, what: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch (e) {
    throw new ImageError(`${what}: not valid JSON (${(e as Error).message})`);
  }
}

export class DirFiles implements LayoutFiles {
  constructor(readonly origin: string) {}
  lookup(path: string): BlobRef | null {
    const rel = posix.normalize(path).replace(/^\/+/, '');
    if (rel.startsWith('..')) return null;
    const file = join(this.origin, rel);
    try {
      const st = lstatSync(file);
      // A layout is ours to read, not to wander out of: only regular files count.
      if (!st.isFile()) return null;
      return { file, offset: 0, size: st.size, name: rel };
    } catch {
      return null;
    }
  }
}

export class TarFiles implements LayoutFiles {
  constructor(readonly origin: string, private readonly index: TarIndex) {}
  lookup(path: string): BlobRef | null {
    return this.index.lookup(path);
  }
}
