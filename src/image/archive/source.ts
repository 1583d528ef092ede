import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DirFiles, parseJson, readBytes, TarFiles, type LayoutFiles } from './blob-source.js';
import { isDockerManifest } from './docker-archive.js';
import { ImageError } from '../errors.js';
import type { BlobRef } from '../types.js';
import { sniffCompression } from './decompress.js';
import { mayBeLayout } from './peek.js';
import { decompressToFile } from './spool.js';
import { TarIndex } from '../tar/index.js';

/**
 * What `tsmachine import SOURCE` was given, told apart by content, not by
 * file name: an OCI layout has oci-layout/index.json, a docker-archive has a
 * manifest.json list, anything else is a rootfs (directory or tarball).
 * Any tar may be gzip- or zstd-compressed; a compressed image archive is
 * decompressed into the store's tmp/ first (peek.ts says when, spool.ts why).
 */
export type Source =
  | { kind: 'rootfs-dir'; path: string }
  | { kind: 'rootfs-tar'; blob: BlobRef }
  | { kind: 'oci' | 'docker-archive'; files: LayoutFiles; ref?: string };

function layoutKind(files: LayoutFiles): 'oci' | 'docker-archive' | null {
  if (files.lookup('oci-layout') || files.lookup('index.json')) return 'oci';
  const m = files.lookup('manifest.json');
  if (m) {
    try {
      if (isDockerManifest(parseJson(readBytes(m), 'manifest.json'))) return 'docker-archive';
    } catch { /* a rootfs that happens to hold a manifest.json */ }
  }
  return null;
}

/** "PATH:REF" (as skopeo's oci:PATH:REF) when PATH exists and the whole string does not. */
function splitRef(source: string): { path: string; ref?: string } {
  const i = source.lastIndexOf(':');
  if (i > 0 && !existsSync(source) && existsSync(source.slice(0, i))) return { path: source.slice(0, i), ref: source.slice(i + 1) };
  return { path: source };
}

/** The import's temporary files (store/scratch.ts): a path for `name`, on the store's file system. */
export interface ScratchFiles {
  file(name: string): string;
}

export interface OpenOptions {
  /** Where a compressed archive is decompressed to (see spool.ts). */
  scratch: ScratchFiles;
  /** How messages name the source when `source` is our own temp copy of it (stdin). */
  label?: string;
  /** Decompressing an archive: input bytes so far, of `total`. */
  onReading?: (bytes: number, total: number) => void;
}

/** A plain tar file: an image archive if its manifests say so, else a rootfs. */
async function openTar(blob: BlobRef, ref: string | undefined): Promise<Source> {
  const files = new TarFiles(blob.name, await TarIndex.open(blob.file, blob.name));
  const kind = layoutKind(files);
  if (!kind) return { kind: 'rootfs-tar', blob };
  return ref !== undefined ? { kind, files, ref } : { kind, files };
}

export async function openSource(source: string, opts: OpenOptions): Promise<Source> {
  const { path: given, ref } = splitRef(source);
  const path = resolve(given);
  const label = opts.label ?? source;
  if (!existsSync(path)) throw new ImageError(`import source ${label} does not exist`);
  const st = statSync(path);
  if (st.isDirectory()) {
    const files = new DirFiles(path);
    const withRef = <T extends object>(s: T): T & { ref?: string } => (ref !== undefined ? { ...s, ref } : s);
    if (existsSync(join(path, 'oci-layout')) || (existsSync(join(path, 'index.json')) && existsSync(join(path, 'blobs')))) return withRef({ kind: 'oci' as const, files });
    const kind = layoutKind(files);
    if (kind === 'docker-archive') return withRef({ kind, files });
    return { kind: 'rootfs-dir', path };
  }
  if (!st.isFile()) throw new ImageError(`import source ${label} is neither a directory nor a file`);
  const blob: BlobRef = { file: path, offset: 0, size: st.size, name: label };
  const compression = sniffCompression(blob);
  if (compression === 'none') return openTar(blob, ref);
  // A compressed rootfs streams straight into its layer; only what may be an image archive pays for a plain copy.
  if (!(await mayBeLayout(blob, compression))) return { kind: 'rootfs-tar', blob };
  const plain = opts.scratch.file('archive.tar');
  let read = 0;
  const size = await decompressToFile(blob, compression, plain, (n) => { read += n; opts.onReading?.(read, st.size); });
  return openTar({ file: plain, offset: 0, size, name: label }, ref);
}
