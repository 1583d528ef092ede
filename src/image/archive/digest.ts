import { createHash, type Hash } from 'node:crypto';
import { ImageError } from '../errors.js';

/** "sha256:<64 hex>" is the only algorithm the store keys by; sha512 blobs are verified but rare enough to refuse as layers ids. */
const DIGEST_RE = /^(sha256|sha512):([0-9a-f]+)$/;
const HEX_LEN: Record<string, number> = { sha256: 64, sha512: 128 };

export interface Digest {
  algorithm: 'sha256' | 'sha512';
  hex: string;
}

export function parseDigest(d: unknown, what: string): Digest {
  const m = typeof d === 'string' ? DIGEST_RE.exec(d) : null;
  if (!m || m[2]!.length !== HEX_LEN[m[1]!]) throw new ImageError(`${what}: invalid digest ${JSON.stringify(d)}`);
  return { algorithm: m[1] as Digest['algorithm'], hex: m[2]! };
}

export function digestString(d: Digest): string {
  return `${d.algorithm}:${d.hex}`;
}

export function hasher(algorithm: Digest['algorithm'] = 'sha256'): Hash {
  return createHash(algorithm);
}

export function sha256Of(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** First 12 hex digits, as docker/podman show ids. */
export function shortId(digest: string): string {
  return digest.replace(/^sha\d+:/, '').slice(0, 12);
}
