import { existsSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ImageError } from './errors.js';
import { cleanStaleTemp, deleteLayer, ensureLink, hexOf, layerExists, listLayerIds, pruneLinks } from './layers.js';
import { lockSync } from './lock.js';
import { deleteRecord, listRecords, readRecord, type ImageRecord } from './records.js';
import { storePaths } from './store-paths.js';
import type { ResolvedImage } from './types.js';

/**
 * The layer store's verbs for the CLI and the runtime (import lives in
 * import.ts). Every function takes an optional store root so tests run
 * against a temp dir; the default is STATE_DIR.
 */
export { importImage, type ImportOptions } from './import.js';
export { ImageError } from './errors.js';
export type { ImageRecord, LayerRecord } from './records.js';
export { ttyProgress, type ImportProgress, type ProgressFn } from './progress.js';

export function listImages(root?: string): ImageRecord[] {
  return listRecords(storePaths(root));
}

export function inspectImage(name: string, root?: string): ImageRecord {
  const rec = readRecord(storePaths(root), name);
  if (!rec) throw new ImageError(`no imported image '${name}'`);
  return rec;
}

/**
 * Forgets an image name. Its layers stay until pruneLayers (another image
 * may share them; a running container surely does). Refused while a
 * container uses the image unless `force`.
 */
export function removeImage(name: string, opts: { force?: boolean; inUse?: (id: string) => boolean; root?: string } = {}): ImageRecord {
  const p = storePaths(opts.root);
  const rec = readRecord(p, name);
  if (!rec) throw new ImageError(`no imported image '${name}'`);
  if (!opts.force && opts.inUse?.(rec.id)) {
    throw new ImageError(`image '${name}' (${rec.id}) is used by a container (remove the container first, or force)`);
  }
  deleteRecord(p, name);
  return rec;
}

/**
 * Deletes layers no image record references (plus `keep`, e.g. layers under
 * containers whose image was force-removed) and abandoned temp dirs.
 * Exclusive against imports, so a layer an import just unpacked is never
 * taken before its record is written.
 */
export function pruneLayers(opts: { keep?: Iterable<string>; root?: string } = {}): { freedBytes: number; removed: string[] } {
  const p = storePaths(opts.root);
  if (!existsSync(p.root)) return { freedBytes: 0, removed: [] };
  const lock = lockSync(p.locks, 'store.lock', false);
  try {
    cleanStaleTemp(p);
    const used = new Set<string>(opts.keep ?? []);
    for (const r of listRecords(p)) for (const l of r.layers) used.add(l.diffId);
    let freedBytes = 0;
    const removed: string[] = [];
    for (const id of listLayerIds(p)) {
      if (used.has(id)) continue;
      freedBytes += deleteLayer(p, id);
      removed.push(id);
    }
    pruneLinks(p);
    return { freedBytes, removed };
  } finally {
    lock.release();
  }
}

/**
 * An imported image for the runtime: its layers as short l/ paths (bottom
 * first), which the native stage joins into overlay's lowerdir=. Null when
 * the store has no such image; an ImageError when a layer went missing.
 */
export function resolveStoreImage(name: string, root?: string): ResolvedImage | null {
  const p = storePaths(root);
  const rec = readRecord(p, name);
  if (!rec) return null;
  const layers = rec.layers.map((l) => {
    if (!layerExists(p, l.diffId)) throw new ImageError(`image '${name}': layer ${l.diffId} is missing from the store (re-import it)`);
    let link = join(p.links, l.link);
    let ok = false;
    try { ok = readlinkSync(link) === join('..', 'layers', 'sha256', hexOf(l.diffId)); } catch { ok = false; }
    if (!ok) link = join(p.links, ensureLink(p, l.diffId));
    return link;
  });
  return { name: rec.name, id: rec.id, layers, config: rec.config, source: 'store' };
}
