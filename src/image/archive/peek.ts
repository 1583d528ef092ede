import { posix } from 'node:path';
import { pipeline } from 'node:stream';
import type { BlobRef } from '../types.js';
import { decodeError, decoderFor, rangeStream, type Compression } from './decompress.js';
import { TarReader } from '../tar/index.js';

/**
 * Whether a compressed tar could be an image archive rather than a rootfs,
 * from its first members only, so a rootfs tarball still streams straight
 * into its layer without a copy.
 *
 * Why the first members are enough: every top-level entry of an OCI layout
 * or a docker-archive comes from a small set (oci-layout, index.json, blobs/,
 * manifest.json, repositories, <64 hex>.json|.tar, <64 hex>/), so whichever
 * member a tool writes first is one of them. The look is only a gate: an
 * archive that passes is decompressed and then judged by its manifests like
 * any plain tar (see source.ts), so a rootfs that happens to start with
 * "blobs/" is still imported as a rootfs, only more slowly.
 */

/** The look is bounded: a rootfs whose first member is a big file must not be decompressed whole just to be told apart. */
export const PEEK_MEMBERS = 4;
export const PEEK_BYTES = 1 << 20;

const LAYOUT_TOP = new Set(['oci-layout', 'index.json', 'blobs', 'manifest.json', 'repositories']);
const HEX_ID = /^[0-9a-f]{64}(\.json|\.tar)?$/;

/** Does this member name belong at the top of an OCI layout or docker-archive? */
export function layoutMemberName(path: string): boolean {
  const top = posix.normalize(path).replace(/^\/+/, '').split('/')[0] ?? '';
  return LAYOUT_TOP.has(top) || HEX_ID.test(top);
}

/** Names of the first members of a tar (after decompression), skipping "." entries. */
export async function peekMemberNames(blob: BlobRef, compression: Compression): Promise<string[]> {
  const decoder = decoderFor(compression, blob.name);
  const names: string[] = [];
  let seen = 0;
  // A callback pipeline only to wire errors through to the reader below (which sees them) and to tear down together.
  pipeline(rangeStream(blob), decoder.stream, () => undefined);
  const plain = decoder.stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  async function* bounded(): AsyncGenerator<Buffer> {
    for (let r = await plain.next(); !r.done && seen < PEEK_BYTES; r = await plain.next()) {
      seen += r.value.length;
      yield r.value;
    }
  }
  try {
    const tar = new TarReader(bounded());
    while (names.length < PEEK_MEMBERS) {
      const e = await tar.next();
      if (e === null) break;
      if (posix.normalize(e.path).replace(/\/+$/, '') !== '.') names.push(e.path);
    }
    return names;
  } catch (e) {
    // Running out of the peek window mid-member is not an error: what was seen is the answer.
    if (seen >= PEEK_BYTES && names.length > 0) return names;
    throw await decodeError(e, blob.name, compression === 'zstd' ? decoder : null);
  } finally {
    await plain.return?.();
    decoder.stream.destroy();
    await decoder.failure();
  }
}

export async function mayBeLayout(blob: BlobRef, compression: Compression): Promise<boolean> {
  const names = await peekMemberNames(blob, compression);
  return names.some(layoutMemberName);
}
