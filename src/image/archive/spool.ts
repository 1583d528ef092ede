import { createWriteStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BlobRef } from '../types.js';
import { compressionOf, decodeError, decoderFor, rangeStream, type Compression } from './decompress.js';
import { ImageError } from '../errors.js';

/**
 * Turns what cannot be read by offset into a plain tar file that can: an
 * image archive inside gzip/zstd, or anything piped to `import -`.
 *
 * Why a copy and not a stream: in every archive writer we know of the
 * metadata comes last (docker save, skopeo and podman write blobs/ or
 * <hex>.tar members before index.json/manifest.json), and the manifest is
 * needed before a layer can be checked, ordered or skipped as already
 * stored. A pipe or a compressed stream cannot seek back, so the archive is
 * decompressed once into the store's tmp/ (same filesystem, same cleanup as
 * an unpack: see Scratch) and then read by offset like any plain tar. Costs
 * the archive's uncompressed size in tmp/ for the length of the import.
 */

function counter(onBytes?: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      onBytes?.(chunk.length);
      cb(null, chunk);
    },
  });
}

/** `src` through the decoder into a new file (never an existing one); returns the plain bytes written. */
async function decodeInto(src: Readable, compression: Compression, file: string, name: string, onBytes?: (n: number) => void): Promise<number> {
  const decoder = decoderFor(compression, name);
  let written = 0;
  try {
    await pipeline(
      src,
      counter(onBytes),
      decoder.stream,
      counter((n) => { written += n; }),
      createWriteStream(file, { flags: 'wx', mode: 0o600 }),
    );
    await decoder.exited;
  } catch (e) {
    throw await decodeError(e, name, decoder);
  }
  return written;
}

/** A compressed archive file, decompressed into `file`. */
export function decompressToFile(blob: BlobRef, compression: Compression, file: string, onBytes?: (n: number) => void): Promise<number> {
  return decodeInto(rangeStream(blob), compression, file, blob.name, onBytes);
}

/**
 * A stream (stdin) into `file` as a plain tar: decompressed on the way when
 * its first bytes say gzip or zstd, so a compressed pipe costs one pass and
 * one temp file. Empty input is refused: it is never what was meant.
 */
export async function spoolInput(input: AsyncIterable<Buffer>, file: string, name: string, onBytes?: (n: number) => void): Promise<number> {
  const it = input[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let have = 0;
  let ended = false;
  while (have < 4) {
    const r = await it.next();
    if (r.done) { ended = true; break; }
    const b = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value as Uint8Array);
    head.push(b);
    have += b.length;
  }
  if (have === 0) throw new ImageError(`${name}: no data (an empty input is not an image)`);
  const first = Buffer.concat(head);
  async function* all(): AsyncGenerator<Buffer> {
    yield first;
    if (ended) return;
    for (let r = await it.next(); !r.done; r = await it.next()) yield Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value as Uint8Array);
  }
  return decodeInto(Readable.from(all(), { objectMode: false }), compressionOf(first), file, name, onBytes);
}
