import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DirFiles, parseJson, readBytes, TarFiles, type LayoutFiles } from './blob-source.js';
import { isDockerManifest } from './docker-archive.js';
import { ImageError } from './errors.js';
import { sniffCompression, type BlobRef } from './layer-stream.js';
import { TarIndex } from './tar-index.js';

/**
 * What `tsmachine import SOURCE` was given, told apart by content, not by
 * file name: an OCI layout has oci-layout/index.json, a docker-archive has a
 * manifest.json list, anything else is a rootfs (directory or tarball,
 * optionally gzip/zstd).
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

export async function openSource(source: string): Promise<Source> {
  const { path: given, ref } = splitRef(source);
  const path = resolve(given);
  if (!existsSync(path)) throw new ImageError(`import source ${source} does not exist`);
  const withRef = <T extends object>(s: T): T & { ref?: string } => (ref !== undefined ? { ...s, ref } : s);
  const st = statSync(path);
  if (st.isDirectory()) {
    const files = new DirFiles(path);
    if (existsSync(join(path, 'oci-layout')) || (existsSync(join(path, 'index.json')) && existsSync(join(path, 'blobs')))) return withRef({ kind: 'oci' as const, files });
    const kind = layoutKind(files);
    if (kind === 'docker-archive') return withRef({ kind, files });
    return { kind: 'rootfs-dir', path };
  }
  if (!st.isFile()) throw new ImageError(`import source ${source} is neither a directory nor a file`);
  const blob: BlobRef = { file: path, offset: 0, size: st.size, name: source };
  // A compressed file can only be a rootfs tarball here (layouts are plain tars, as skopeo and docker write them).
  if (sniffCompression(blob) !== 'none') return { kind: 'rootfs-tar', blob };
  const index = await TarIndex.open(path);
  const files = new TarFiles(path, index);
  const kind = layoutKind(files);
  return kind ? withRef({ kind, files }) : { kind: 'rootfs-tar', blob };
}
