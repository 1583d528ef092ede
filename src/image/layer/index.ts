/**
 * One layer from its blob (or a directory) to an unpacked tree: decode,
 * digest and untar in one pass, applying whiteouts. Above tar/ and archive/.
 */
export { unpackBlob, unpackTarStream, type UnpackedBlob } from './stream.js';
export { walkDir } from './dir-walk.js';
