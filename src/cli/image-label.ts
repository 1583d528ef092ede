import { listImages } from '../image/index.js';

/**
 * How `status` and `list` name a container's image. A container runs the
 * image it was created from, not whatever its name means now (see
 * runtime/stored-image.ts), so when the name is gone or was re-imported as
 * another image the label says which image it really is.
 */

const short = (id: string): string => `sha256:${id.slice(7, 19)}`;

/**
 * `image` as created; with its short id when the store's name `image` now
 * means another image (`nameNow`) or no image (null). Directory and built-in
 * images (ids not sha256:) have no other identity than their name.
 */
export function imageLabel(image: string, imageId: string, nameNow: string | null): string {
  if (!imageId.startsWith('sha256:') || nameNow === imageId) return image;
  return `${image} (${short(imageId)}, ${nameNow === null ? 'name removed' : `name now ${short(nameNow)}`})`;
}

/** Image name → id in the layer store: one listing per command, however many containers. */
export function storeIdsByName(root?: string): Map<string, string> {
  return new Map(listImages(root).map((r) => [r.name, r.id]));
}
