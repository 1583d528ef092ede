import type { ImageRecord } from './records.js';

/**
 * Images only containers still hold: their name went (rmi --force) or now
 * means another image (a re-import), but containers made from them run
 * from their layers, which prune keeps. `tsmachine images` lists them as
 * docker lists such images, as `<none>`. Pure, so the CLI passes what it
 * read (image records, held records, container specs) and tests pass data.
 */

/** What one container's spec says of its image. */
export interface ContainerImageRef {
  container: string;
  imageId: string;
  /** Recorded diffIDs (specs since StoredImage); absent in older specs and for directory images. */
  layers?: string[] | undefined;
}

export interface HeldImage {
  id: string;
  /** Layer count, from the held record, else from a container's recorded layers. */
  layers: number;
  /** Null when no held record says (only the containers' recorded layers are known). */
  size: number | null;
  created: string | null;
  /** Containers made from it, sorted. */
  heldBy: string[];
}

/**
 * One entry per image id that some container uses, no listed image has, and
 * whose layers are known (a held record, or layers a container recorded):
 * a container that knows neither holds nothing in the store (its start falls
 * back to the name). Directory and built-in images (ids not sha256:) are
 * never held: they have no layers of their own to keep.
 */
export function heldImages(listed: ImageRecord[], held: ImageRecord[], containers: ContainerImageRef[]): HeldImage[] {
  const named = new Set(listed.map((r) => r.id));
  const records = new Map(held.map((r) => [r.id, r]));
  const out = new Map<string, HeldImage>();
  for (const c of containers) {
    if (!c.imageId.startsWith('sha256:') || named.has(c.imageId)) continue;
    let entry = out.get(c.imageId);
    if (!entry) {
      const rec = records.get(c.imageId);
      if (rec) entry = { id: rec.id, layers: rec.layers.length, size: rec.size, created: rec.created, heldBy: [] };
      else if (c.layers) entry = { id: c.imageId, layers: c.layers.length, size: null, created: null, heldBy: [] };
      else continue;
      out.set(c.imageId, entry);
    }
    entry.heldBy.push(c.container);
  }
  for (const e of out.values()) e.heldBy.sort();
  return [...out.values()].sort((a, b) => a.id.localeCompare(b.id));
}
