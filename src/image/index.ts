/**
 * The image module's door: what the CLI and the runtime import. Inside,
 * rooms each entered through their index.ts (tar/ ← archive/ ← layer/, and
 * store/), and at this level the verbs (store.ts, import.ts, which loads on
 * first use), name resolution (resolve.ts, builtin.ts), errors and types.
 * Nothing here may statically reach archive/, layer/ or tar/: every CLI
 * start loads this file (see ARCHITECTURE.md, layering).
 */
export { ImageError, MissingImageError } from './errors.js';
export type { ImageConfig, ResolvedImage, StoredImage } from './types.js';
export { findImage, listDirectoryImages, resolveImage, UnknownImageError, type ImageListing, type StoreLookup } from './resolve.js';
export {
  findStoreImageById, importImage, inspectImage, listHeldImages, listImages, pinStore, pruneLayers, removeImage, resolveRecordedImage, resolveStoreImage,
} from './store.js';
export type { ImportOptions } from './import.js';
export { STDIN } from './stdin.js';
export { endsLine, ttyProgress, type ImportProgress, type ProgressFn } from './progress.js';
export { heldImages, type ContainerImageRef, type HeldImage, type ImageRecord, type LayerRecord } from './store/index.js';
