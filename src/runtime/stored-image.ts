import { resolveImage, type ImageConfig, type ResolvedImage, type StoreLookup, type StoredImage } from '../image/index.js';
import type { StoredSpec } from '../state/container.js';

/**
 * Which image an existing container starts (or execs) from. As docker does,
 * a container is bound to the image it was created from, not to the name:
 * after `rmi --force` or a re-import under the same name it keeps running
 * the content it was made of.
 */

/** How the layer store answers for recorded images (real-deps wires image/store.ts; tests pass fakes). */
export interface RecordedImageLookup {
  /** From the recorded layers alone; throws MissingImageError when one is gone. */
  byLayers(ref: { id: string; name: string; layers: string[]; config: ImageConfig }): ResolvedImage;
  /** A listed or held record with this id, or null. */
  byId(id: string): ResolvedImage | null;
}

/**
 * 1. recorded layers (specs written since StoredImage): those, or a one-line
 *    error naming the image id; never another image that took the name;
 * 2. an older spec with a store digest: the image with that id, if the store
 *    still has it (listed, or held by rmi --force);
 * 3. otherwise the name, as before (built-in and /var/lib/machines images,
 *    and store images whose record is gone).
 */
export function imageOfStored(stored: StoredSpec, store: StoreLookup | undefined, recorded: RecordedImageLookup | undefined): ResolvedImage {
  const name = stored.spec.image;
  if (stored.image && recorded) return recorded.byLayers({ id: stored.imageId, name, layers: stored.image.layers, config: stored.image.config });
  if (recorded && /^sha256:/.test(stored.imageId ?? '')) {
    const byId = recorded.byId(stored.imageId);
    if (byId) return byId;
  }
  return resolveImage(name, store);
}

/** What a new or restarted container records of its image: only store images have layers of their own to keep. */
export function storedImageOf(image: ResolvedImage): { imageId: string; image?: StoredImage } {
  return image.source === 'store' && image.diffIds ? { imageId: image.id, image: { layers: image.diffIds, config: image.config } } : { imageId: image.id };
}
