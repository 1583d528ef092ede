/**
 * The tar codec, the bottom room of image/: headers, a streaming reader, a
 * writer, a seek index over a tar file, and the member-path rules (no
 * escaping the root, whiteouts). Knows nothing of images.
 */
export { BLOCK, padding, type TarEntry, type TarType } from './header.js';
export { ByteReader, type ByteSource } from './byte-reader.js';
export { TarReader } from './reader.js';
export { tarStream, type WriteEntry } from './writer.js';
export { TarIndex } from './seek-index.js';
export { memberComponents, symlinkEscapes } from './paths.js';
