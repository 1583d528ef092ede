import { basename } from 'node:path';
import { openSource, planDockerArchive, planOci, rootfsDefaults, sha256Of, spoolInput, type ImportPlan } from './archive/index.js';
import { ImageError } from './errors.js';
import { unpackBlob, unpackTarStream, walkDir } from './layer/index.js';
import type { ProgressFn } from './progress.js';
import { STDIN } from './stdin.js';
import {
  adoptLayer, checkLowerdirBudget, checkName, cleanStaleTemp, ensureLayer, ensureLink, sanitizeName, Scratch, shareStore, storePaths, writeRecord,
  type ImageRecord, type LayerRecord, type StorePaths,
} from './store/index.js';
import { mkdirPrivate } from '../state/private-dir.js';
import { tarStream } from './tar/index.js';
import type { BlobRef } from './types.js';

export interface ImportOptions {
  /** Image name; default: the source's own tag/ref name, else the file name. Required for stdin unless the archive names itself. */
  name?: string;
  progress?: ProgressFn;
  /** Store root; default STATE_DIR. */
  root?: string;
  /** What SOURCE "-" reads; default process.stdin. */
  input?: AsyncIterable<Buffer>;
}

/** The name a source's file name suggests: "img.tar.gz" → "img"; none for stdin. */
function nameFromFile(source: string): string | null {
  if (source === STDIN) return null;
  return sanitizeName(basename(source.replace(/:[^/]*$/, '')).replace(/\.(tar|tgz|tzst)(\.(gz|zst|zstd))?$/, '').replace(/\.oci$/, ''));
}

/**
 * Imports SOURCE (rootfs dir or tarball, OCI layout dir/tar, docker-archive;
 * any tar gzip/zstd-compressed; "-" for any archive on stdin) into the layer
 * store and records it under a name. Layers already stored are reused; new
 * ones are verified while streaming and appear only whole. The record is
 * written last, so an interrupted import leaves no image, and the temp files
 * of stdin or a decompressed archive go with the import (see Scratch).
 */
export async function importImage(source: string, opts: ImportOptions = {}): Promise<ImageRecord> {
  if (opts.name !== undefined) checkName(opts.name);
  const p = storePaths(opts.root);
  for (const d of [p.layers, p.links, p.images, p.tmp]) mkdirPrivate(d, p.root);
  const scratch = new Scratch(p);
  const reading = (bytes: number, totalBytes: number): void => opts.progress?.({ layer: 0, layers: 0, bytes, totalBytes, state: 'reading' });
  try {
    let path = source;
    let label = source;
    if (source === STDIN) {
      // Before the store lock: a slow pipe must not hold off prune. Our tmp dir is safe from its cleanup (our pid is alive).
      label = 'stdin';
      path = scratch.file('stdin.tar');
      let read = 0;
      await spoolInput(opts.input ?? (process.stdin as AsyncIterable<Buffer>), path, label, (n) => { read += n; reading(read, 0); });
    }
    // Shared: other imports run alongside; prune (exclusive) waits until no layer is half-referenced.
    const storeLock = await shareStore(p);
    try {
      cleanStaleTemp(p);
      const src = await openSource(path, { scratch, label, onReading: reading });
      const fallbackName = nameFromFile(source);
      const noName = (): ImageError =>
        new ImageError(source === STDIN ? 'the archive on stdin carries no image name; pass --name' : `cannot derive an image name from ${source}; pass --name`);
      if (src.kind === 'rootfs-dir' || src.kind === 'rootfs-tar') {
        const name = opts.name ?? fallbackName;
        if (!name) throw noName();
        return await importRootfs(p, src, name, opts.progress);
      }
      const plan = src.kind === 'oci' ? planOci(src.files, src.ref) : planDockerArchive(src.files);
      const name = opts.name ?? (plan.suggestedName ? sanitizeName(plan.suggestedName) : null) ?? fallbackName;
      if (!name) throw noName();
      checkName(name);
      return await importPlan(p, plan, name, opts.progress);
    } finally {
      storeLock.release();
    }
  } finally {
    scratch.dispose();
  }
}

async function importPlan(p: StorePaths, plan: ImportPlan, name: string, progress?: ProgressFn): Promise<ImageRecord> {
  checkLowerdirBudget(plan.layers.length);
  const total = plan.layers.reduce((s, l) => s + l.blob.size, 0);
  let done = 0;
  const layers: LayerRecord[] = [];
  for (const [i, l] of plan.layers.entries()) {
    const tick = (state: 'unpacking' | 'reused' | 'done'): void =>
      progress?.({ layer: i + 1, layers: plan.layers.length, bytes: done, totalBytes: total, state });
    const { size, fresh } = await ensureLayer(p, l.diffId, async (dir) => {
      tick('unpacking');
      const algorithm = l.digest?.startsWith('sha512:') ? 'sha512' : 'sha256';
      const got = await unpackBlob(l.blob, dir, { algorithm, onBytes: (n) => { done += n; tick('unpacking'); } });
      if (l.digest && got.digest !== l.digest) throw new ImageError(`${l.blob.name}: digest mismatch (content is ${got.digest})`);
      return got;
    });
    if (!fresh) done += l.blob.size;
    tick(fresh ? 'done' : 'reused');
    const rec: LayerRecord = { diffId: l.diffId, size, link: ensureLink(p, l.diffId) };
    if (l.digest) rec.digest = l.digest;
    layers.push(rec);
  }
  const now = new Date().toISOString();
  const record: ImageRecord = {
    name,
    id: plan.configDigest,
    created: plan.parsed.created ?? now,
    imported: now,
    size: layers.reduce((s, l) => s + l.size, 0),
    layers,
    config: plan.parsed.config,
    format: plan.format,
  };
  if (plan.manifestDigest) record.manifestDigest = plan.manifestDigest;
  writeRecord(p, record);
  return record;
}

async function importRootfs(
  p: StorePaths,
  src: { kind: 'rootfs-dir'; path: string } | { kind: 'rootfs-tar'; blob: BlobRef },
  name: string,
  progress?: ProgressFn,
): Promise<ImageRecord> {
  checkName(name);
  const total = src.kind === 'rootfs-tar' ? src.blob.size : 0;
  let done = 0;
  const tick = (state: 'unpacking' | 'done'): void => progress?.({ layer: 1, layers: 1, bytes: done, totalBytes: total, state });
  const { diffId, size } = await adoptLayer(p, (dir) =>
    src.kind === 'rootfs-tar'
      ? unpackBlob(src.blob, dir, { onBytes: (n) => { done += n; tick('unpacking'); } })
      : unpackTarStream(tarStream(walkDir(src.path)), dir, src.path));
  tick('done');
  const config = rootfsDefaults();
  const layers: LayerRecord[] = [{ diffId, size, link: ensureLink(p, diffId) }];
  const now = new Date().toISOString();
  const record: ImageRecord = {
    name,
    // No config blob: the id is the digest of what defines the image, so re-importing the same tree gives the same id.
    id: sha256Of(JSON.stringify({ diffIds: [diffId], config })),
    created: now,
    imported: now,
    size,
    layers,
    config,
    format: src.kind,
  };
  writeRecord(p, record);
  return record;
}
