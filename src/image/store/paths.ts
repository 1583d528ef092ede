import { join } from 'node:path';
import { STATE_DIR } from '../../paths.js';

/**
 * The layer store's layout under one root (STATE_DIR by default; tests pass
 * their own):
 *   layers/sha256/<hex>/   one unpacked layer, keyed by its diffID
 *   layers/sha256/<hex>.json  its size, written before the dir is renamed in
 *   l/<short>              symlink → ../layers/sha256/<hex>: short lowerdir paths
 *   images/<name>.json     image records
 *   tmp/<pid>.<rand>/      unpacking in progress (same filesystem, so rename is atomic)
 *   locks/                 flock files (store-wide and per layer)
 */
export interface StorePaths {
  root: string;
  layers: string;
  links: string;
  images: string;
  tmp: string;
  locks: string;
}

export function storePaths(root: string = STATE_DIR): StorePaths {
  return {
    root,
    layers: join(root, 'layers', 'sha256'),
    links: join(root, 'l'),
    images: join(root, 'images'),
    tmp: join(root, 'tmp'),
    locks: join(root, 'locks'),
  };
}

/** Image names are file names and must pass image/resolve.ts's findImage (no '/', no leading '.'). */
export const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.:@+-]{0,127}$/;

/** "docker.io/library/alpine:3.19" → "alpine:3.19"; anything else unusable → null. */
export function sanitizeName(s: string): string | null {
  const last = s.split('/').pop() ?? '';
  const cleaned = last.replace(/[^A-Za-z0-9_.:@+-]/g, '_').replace(/^[^A-Za-z0-9]+/, '');
  return NAME_RE.test(cleaned) ? cleaned : null;
}
