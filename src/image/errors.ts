import { TsmError } from '../errors.js';

/**
 * Anything wrong with an image or the layer store: a hostile or corrupt
 * archive member, a missing or mismatching blob, an unknown media type, an
 * image that is not there or still in use. The message names the member or
 * blob so one line is enough to act on.
 */
export class ImageError extends TsmError {
  readonly module = 'image';
}

/**
 * A container's image is no longer in the layer store: its layers were
 * removed behind the store's back (rm -rf, a restored backup). Names the
 * image id, which is all that identifies it once its name is gone.
 */
export class MissingImageError extends ImageError {
  constructor(readonly image: string, readonly layer: string, readonly imageName: string) {
    super(`image ${image} (was '${imageName}') is gone: layer ${layer} is missing from the layer store (import the image again, or rm the container)`);
  }
}
