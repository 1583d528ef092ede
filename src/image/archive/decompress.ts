import { spawn } from 'node:child_process';
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { Duplex, PassThrough, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ImageError } from '../errors.js';
import type { BlobRef } from '../types.js';

/**
 * gzip and zstd as the import sees them: told apart by magic bytes (never by
 * file name), decoded as a stream. Shared by layer blobs, compressed rootfs
 * tarballs and compressed image archives, so all three report a corrupt
 * stream the same way: one line naming what was being read.
 */

export type Compression = 'gzip' | 'zstd' | 'none';

/** From the first (up to) 4 bytes of a stream. */
export function compressionOf(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

export function sniffCompression(blob: BlobRef): Compression {
  if (blob.size === 0) return 'none';
  const fd = openSync(blob.file, 'r');
  try {
    const b = Buffer.alloc(4);
    const n = readSync(fd, b, 0, Math.min(4, blob.size), blob.offset);
    return compressionOf(b.subarray(0, n));
  } finally {
    closeSync(fd);
  }
}

export interface Decoder {
  /** Compressed bytes in, plain bytes out. */
  stream: Duplex;
  /** Settles when the decoder is done: for zstd the child's exit, which is where corruption is reported. */
  exited: Promise<void>;
  /**
   * After an error somewhere in the pipeline: the decoder's own complaint if
   * it gave up first (zstd found a corrupt frame, so the tar looked
   * truncated), else null, having stopped a decoder that is still running
   * (the tar was refused; zstd must not outlive the import).
   */
  failure(): Promise<ImageError | null>;
}

/** Debian's zstd CLI through a pipe: Node 18 has no zstd in zlib, and a native addon is more to trust than a pipe. */
function zstdDecoder(name: string): Decoder {
  const child = spawn('zstd', ['-d', '-c', '-q'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  // Set once zstd is done or going: its exit status then says more than our side's symptom (EPIPE, a short tar).
  let quitting = false;
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  child.stdout.on('end', () => { quitting = true; });
  child.stdin.on('error', () => { quitting = true; });
  const stream = Duplex.from({ writable: child.stdin, readable: child.stdout });
  const exited = new Promise<void>((resolve, reject) => {
    child.on('error', (e) => {
      const err = new ImageError(`${name}: cannot run zstd to decompress it (install the zstd package): ${e.message}`);
      stream.destroy(err);
      reject(err);
    });
    child.on('close', (code, signal) => {
      quitting = true;
      if (code === 0) resolve();
      else reject(new ImageError(`${name}: corrupt zstd data (${stderr.trim().split('\n')[0] || `zstd exit ${code ?? signal}`})`));
    });
  });
  // Whoever fails first reports; the other rejection must not be unhandled.
  exited.catch(() => undefined);
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  return {
    stream,
    exited,
    async failure() {
      if (!quitting) {
        if (running()) child.kill('SIGKILL');
        return null;
      }
      return exited.then(() => null, (e: unknown) => (e instanceof ImageError ? e : null));
    },
  };
}

export function decoderFor(compression: Compression, name: string): Decoder {
  if (compression === 'zstd') return zstdDecoder(name);
  const stream = compression === 'gzip' ? createGunzip({ chunkSize: 1 << 18 }) : new PassThrough();
  return { stream, exited: Promise.resolve(), failure: async () => null };
}

/** The blob's bytes as stored (compressed or not). */
export function rangeStream(blob: BlobRef): Readable {
  return blob.size > 0
    ? createReadStream(blob.file, { start: blob.offset, end: blob.offset + blob.size - 1, highWaterMark: 1 << 20 })
    : new PassThrough().end();
}

/**
 * One line for whatever went wrong while decoding `name`: the decoder's own
 * complaint first (see Decoder.failure), our errors keep their text
 * (prefixed with the name once), zlib's become "corrupt gzip data".
 */
export async function decodeError(e: unknown, name: string, decoder: Decoder | null): Promise<ImageError> {
  const own = await decoder?.failure();
  // A member refused for what it says stands; a short tar is only the symptom of a decoder that gave up.
  const refusal = e instanceof ImageError && !e.message.includes('truncated');
  if (own && !refusal) return own;
  if (e instanceof ImageError) return e.message.startsWith(name) ? e : new ImageError(`${name}: ${e.message}`, { cause: e });
  const err = e as NodeJS.ErrnoException;
  if (err.code?.startsWith('Z_') || err.code === 'ERR_ZLIB') return new ImageError(`${name}: corrupt gzip data (${err.message})`, { cause: e });
  return new ImageError(`${name}: ${err.message}`, { cause: e });
}
