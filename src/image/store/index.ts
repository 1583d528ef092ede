/**
 * The layer store on disk: its paths, layers (unpacked once, renamed in
 * whole), image records and held records, the import's scratch dir, its
 * locks, and the overlay lowerdir budget. Loaded by every CLI start (the
 * `images` and `start` verbs read it), so it imports nothing heavy.
 */
export { NAME_RE, sanitizeName, storePaths, type StorePaths } from './paths.js';
export {
  adoptLayer, cleanStaleTemp, deleteLayer, diskUsage, ensureLayer, ensureLink, hexOf, layerExists, listLayerIds, pruneLinks,
} from './layers.js';
export {
  checkName, deleteRecord, holdRecord, listHeld, listRecords, readRecord, writeRecord, type ImageRecord, type LayerRecord,
} from './records.js';
export { heldImages, type ContainerImageRef, type HeldImage } from './held.js';
export { Scratch } from './scratch.js';
export { lockLayer, lockStore, shareStore, type Lock } from './lock.js';
export { checkLowerdirBudget, lowerdirOption, LOWERDIR_BUDGET } from './lowerdir.js';
