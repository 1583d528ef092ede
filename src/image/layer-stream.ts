import { spawn } from 'node:child_process';
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { Duplex, PassThrough, Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { hasher, type Digest } from './digest.js';
import { ImageError } from './errors.js';
import { TarReader } from './tar-reader.js';
import { LayerWriter } from './unpack.js';

/**
 * One layer blob from disk to an unpacked directory in a single pass:
 * file segment → digest of the blob → gunzip/zstd → digest of the tar
 * (the diffID) → tar reader → LayerWriter. Both digests are checked at the
 * end; the caller owns `dest` and throws it away on any error.
 */

/** A blob as a byte range of a file: a file of its own in an OCI dir, or a member of an archive. */
export interface BlobRef {
  file: string;
  offset: number;
  size: number;
  /** How errors name it: "blob sha256:…", "layer foo/layer.tar". */
  name: string;
}

export interface UnpackedBlob {
  /** sha256 of the blob as stored. */
  digest: string;
  /** sha256 of the uncompressed tar. */
  diffId: string;
  /** Bytes of regular-file content written. */
  contentBytes: number;
}

export type Compression = 'gzip' | 'zstd' | 'none';

export function sniffCompression(blob: BlobRef): Compression {
  const fd = openSync(blob.file, 'r');
  try {
    const b = Buffer.alloc(4);
    const n = readSync(fd, b, 0, Math.min(4, blob.size), blob.offset);
    if (n >= 2 && b[0] === 0x1f && b[1] === 0x8b) return 'gzip';
    if (n === 4 && b.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
    return 'none';
  } finally {
    closeSync(fd);
  }
}

/** Debian's zstd CLI through a pipe: Node 18 has no zstd in zlib, and a native addon is more to trust than a pipe. */
function zstdDecoder(blob: BlobRef): { stream: Duplex; exited: Promise<void>; kill: () => void } {
  const child = spawn('zstd', ['-d', '-c', '-q'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const stream = Duplex.from({ writable: child.stdin, readable: child.stdout });
  const exited = new Promise<void>((resolve, reject) => {
    child.on('error', (e) => {
      const err = new ImageError(`${blob.name}: cannot run zstd to decompress it (install the zstd package): ${e.message}`);
      stream.destroy(err);
      reject(err);
    });
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new ImageError(`${blob.name}: corrupt zstd data (${stderr.trim().split('\n')[0] || `zstd exit ${code ?? signal}`})`));
    });
  });
  // Whoever fails first reports; the other rejection must not be unhandled.
  exited.catch(() => undefined);
  return { stream, exited, kill: () => { if (child.exitCode === null) child.kill('SIGKILL'); } };
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
  const compression = blob.size > 0 ? sniffCompression(blob) : 'none';
  const src: Readable = blob.size > 0
    ? createReadStream(blob.file, { start: blob.offset, end: blob.offset + blob.size - 1, highWaterMark: 1 << 20 })
    : new PassThrough().end();
  const zstd = compression === 'zstd' ? zstdDecoder(blob) : null;
  const decoder: Duplex = compression === 'gzip' ? createGunzip({ chunkSize: 1 << 18 }) : zstd ? zstd.stream : new PassThrough();
  const writer = new LayerWriter(dest);
  try {
    await pipeline(
      src,
      tap((c) => { outer.update(c); read += c.length; opts.onBytes?.(c.length); }),
      decoder,
      tap((c) => inner.update(c)),
      async (source: AsyncIterable<Buffer>) => {
        const tar = new TarReader(source);
        for (let e = await tar.next(); e !== null; e = await tar.next()) await writer.apply(e, tar.body());
        writer.finish();
      },
    );
    if (zstd) await zstd.exited;
  } catch (e) {
    zstd?.kill();
    if (e instanceof ImageError) throw e.message.startsWith(blob.name) ? e : new ImageError(`${blob.name}: ${e.message}`, { cause: e });
    const err = e as NodeJS.ErrnoException;
    if (err.code?.startsWith('Z_') || err.code === 'ERR_ZLIB') throw new ImageError(`${blob.name}: corrupt gzip data (${err.message})`, { cause: e });
    throw new ImageError(`${blob.name}: ${err.message}`, { cause: e });
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
