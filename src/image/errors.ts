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
