import { existsSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ImageError, MissingImageError } from './errors.js';
import {
  cleanStaleTemp, deleteLayer, deleteRecord, ensureLink, hexOf, holdRecord, layerExists, listHeld, listLayerIds, listRecords, lockStore, pruneLinks,
  readRecord, shareStore, storePaths, type ImageRecord, type Lock, type StorePaths,
} from './store/index.js';
import type { ImageConfig, ResolvedImage } from './types.js';
import type { ImportOptions } from './import.js';

/**
 * The layer store's verbs for the CLI and the runtime (import lives in
 * import.ts), exported through index.ts. Every function takes an optional
 * store root so tests run against a temp dir; the default is STATE_DIR.
 */

/**
 * Import lives in import.ts and loads on first use: with it come tar,
 * zlib, streams and sha256, which no other command needs at startup.
 */
export async function importImage(source: string, opts: ImportOptions = {}): Promise<ImageRecord> {
  const { importImage: run } = await import('./import.js');
  return run(source, opts);
}

export function listImages(root?: string): ImageRecord[] {
  return listRecords(storePaths(root));
}

export function inspectImage(name: string, root?: string): ImageRecord {
  const rec = readRecord(storePaths(root), name);
  if (!rec) throw new ImageError(`no imported image '${name}'`);
  return rec;
}

/** Records of images whose name went while containers used them (see holdRecord); `images` lists those still used. */
export function listHeldImages(root?: string): ImageRecord[] {
  return listHeld(storePaths(root)).map((h) => h.rec);
}

/**
 * Forgets an image name. Its layers stay until pruneLayers (another image
 * may share them; a running container surely does). Refused while a
 * container uses the image unless `force`. `inUse` returns the users (their
 * names go into the error) or just whether there are any. A forced removal
 * of an image in use keeps its record as "held" (images/.held/, unlisted)
 * so prune can still tell which layers the containers stand on.
 */
export function removeImage(
  name: string,
  opts: { force?: boolean; inUse?: (id: string) => boolean | string[]; root?: string } = {},
): ImageRecord {
  const p = storePaths(opts.root);
  const rec = readRecord(p, name);
  if (!rec) throw new ImageError(`no imported image '${name}'`);
  const used = opts.inUse?.(rec.id) ?? false;
  const users = Array.isArray(used) ? used : [];
  const inUse = Array.isArray(used) ? used.length > 0 : used;
  if (inUse && !opts.force) {
    const who = users.length > 0 ? `container${users.length > 1 ? 's' : ''} ${users.join(', ')}` : 'a container';
    throw new ImageError(`image '${name}' (${rec.id}) is used by ${who} (remove the container first, or --force)`);
  }
  if (inUse) holdRecord(p, rec);
  deleteRecord(p, name);
  return rec;
}

/**
 * The store lock, shared (as an import holds it): while held, prune waits.
 * The runtime holds it from a new container's image lookup until its spec,
 * which names the layers, is written.
 */
export function pinStore(root?: string): Promise<Lock> {
  return shareStore(storePaths(root));
}

/**
 * Deletes layers no image record references and abandoned temp dirs. Kept
 * too: `keep` (diffIDs), and the layers of held records (force-removed
 * images) whose id is in `keepImages`, e.g. the image ids of existing
 * containers; held records of ids not in it are dropped. Exclusive against
 * imports, so a layer an import just unpacked is never taken before its
 * record is written.
 */
export function pruneLayers(opts: { keep?: Iterable<string>; keepImages?: Iterable<string>; root?: string } = {}): { freedBytes: number; removed: string[] } {
  const p = storePaths(opts.root);
  if (!existsSync(p.root)) return { freedBytes: 0, removed: [] };
  const lock = lockStore(p);
  try {
    cleanStaleTemp(p);
    const used = new Set<string>(opts.keep ?? []);
    for (const r of listRecords(p)) for (const l of r.layers) used.add(l.diffId);
    const keepImages = new Set<string>(opts.keepImages ?? []);
    for (const { rec, file } of listHeld(p)) {
      if (keepImages.has(rec.id)) for (const l of rec.layers) used.add(l.diffId);
      else rmSync(file, { force: true });
    }
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

/** A layer's short l/ path, repairing the link if it went missing or points elsewhere. */
function linkPath(p: StorePaths, diffId: string, link?: string): string {
  if (link !== undefined) {
    try {
      if (readlinkSync(join(p.links, link)) === join('..', 'layers', 'sha256', hexOf(diffId))) return join(p.links, link);
    } catch { /* repaired below */ }
  }
  return join(p.links, ensureLink(p, diffId));
}

function resolvedOf(p: StorePaths, rec: ImageRecord): ResolvedImage {
  const layers = rec.layers.map((l) => {
    if (!layerExists(p, l.diffId)) throw new ImageError(`image '${rec.name}': layer ${l.diffId} is missing from the store (re-import it)`);
    return linkPath(p, l.diffId, l.link);
  });
  return { name: rec.name, id: rec.id, layers, config: rec.config, source: 'store', diffIds: rec.layers.map((l) => l.diffId) };
}

/**
 * An imported image for the runtime: its layers as short l/ paths (bottom
 * first), which the native stage joins into overlay's lowerdir=. Null when
 * the store has no such image; an ImageError when a layer went missing.
 */
export function resolveStoreImage(name: string, root?: string): ResolvedImage | null {
  const p = storePaths(root);
  const rec = readRecord(p, name);
  return rec ? resolvedOf(p, rec) : null;
}

/**
 * An image by its id, whether a name still lists it or only a held record
 * (rmi --force, replaced by a re-import) remembers it. For containers whose
 * spec predates StoredImage: they know their image id but not its layers.
 */
export function findStoreImageById(id: string, root?: string): ResolvedImage | null {
  const p = storePaths(root);
  const rec = listRecords(p).find((r) => r.id === id) ?? listHeld(p).find((h) => h.rec.id === id)?.rec;
  return rec ? resolvedOf(p, rec) : null;
}

/**
 * The image a container recorded at creation, from its layers alone: no
 * record is needed, so it starts again whatever happened to the image's
 * name. A MissingImageError when a layer is gone from the store.
 */
export function resolveRecordedImage(
  ref: { id: string; name: string; layers: string[]; config: ImageConfig }, root?: string,
): ResolvedImage {
  const p = storePaths(root);
  const layers = ref.layers.map((diffId) => {
    if (!layerExists(p, diffId)) throw new MissingImageError(ref.id, diffId, ref.name);
    return linkPath(p, diffId);
  });
  return { name: ref.name, id: ref.id, layers, config: ref.config, source: 'store', diffIds: [...ref.layers] };
}
