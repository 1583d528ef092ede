import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { decodeError, decoderFor, hasher, rangeStream, sniffCompression, type Digest } from '../archive/index.js';
import { ImageError } from '../errors.js';
import type { BlobRef } from '../types.js';
import { TarReader } from '../tar/index.js';
import { LayerWriter } from './unpack.js';

/**
 * One layer blob from disk to an unpacked directory in a single pass:
 * file segment → digest of the blob → gunzip/zstd → digest of the tar
 * (the diffID) → tar reader → LayerWriter. Both digests are checked at the
 * end; the caller owns `dest` and throws it away on any error.
 */

export interface UnpackedBlob {
  /** sha256 of the blob as stored. */
  digest: string;
  /** sha256 of the uncompressed tar. */
  diffId: string;
  /** Bytes of regular-file content written. */
  contentBytes: number;
}

function tap(onChunk: (c: Buffer) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      onChunk(chunk);
      cb(null, chunk);
    },
  });
}

export async function unpackBlob(
  blob: BlobRef,
  dest: string,
  opts: { algorithm?: Digest['algorithm']; onBytes?: (n: number) => void } = {},
): Promise<UnpackedBlob> {
  const outer = hasher(opts.algorithm ?? 'sha256');
  const inner = hasher('sha256');
  let read = 0;
  const decoder = decoderFor(sniffCompression(blob), blob.name);
  const writer = new LayerWriter(dest);
  try {
    await pipeline(
      rangeStream(blob),
      tap((c) => { outer.update(c); read += c.length; opts.onBytes?.(c.length); }),
      decoder.stream,
      tap((c) => inner.update(c)),
      async (source: AsyncIterable<Buffer>) => {
        const tar = new TarReader(source);
        for (let e = await tar.next(); e !== null; e = await tar.next()) await writer.apply(e, tar.body());
        writer.finish();
      },
    );
    await decoder.exited;
  } catch (e) {
    throw await decodeError(e, blob.name, decoder);
  }
  if (read !== blob.size) throw new ImageError(`${blob.name}: truncated (${read} of ${blob.size} bytes)`);
  return { digest: `${opts.algorithm ?? 'sha256'}:${outer.digest('hex')}`, diffId: `sha256:${inner.digest('hex')}`, contentBytes: writer.bytes };
}

/** An uncompressed tar from any stream (a directory being serialised) into `dest`; returns its diffID. */
export async function unpackTarStream(src: AsyncIterable<Buffer>, dest: string, name: string): Promise<{ diffId: string; contentBytes: number }> {
  const inner = hasher('sha256');
  const writer = new LayerWriter(dest);
  async function* hashed(): AsyncGenerator<Buffer> {
    for await (const c of src) {
      inner.update(c);
      yield c;
    }
  }
  try {
    const tar = new TarReader(hashed());
    for (let e = await tar.next(); e !== null; e = await tar.next()) await writer.apply(e, tar.body());
    writer.finish();
  } catch (e) {
    throw new ImageError(`${name}: ${(e as Error).message}`, { cause: e });
  }
  return { diffId: `sha256:${inner.digest('hex')}`, contentBytes: writer.bytes };
}
