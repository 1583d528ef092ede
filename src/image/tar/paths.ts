import { ImageError } from '../errors.js';

/**
 * The rules a member's path must obey before anything touches the disk.
 * Pure functions, so the hostile cases are table-tested without a tarball.
 */

/**
 * Components of a member path relative to the layer root ([] is the root
 * itself). Leading "./" is how most writers spell relative names and is
 * dropped; absolute paths (but "/" itself) and any ".." are refused outright: no legitimate
 * layer needs them, and refusing is simpler to trust than normalising.
 */
export function memberComponents(path: string, what = 'path'): string[] {
  if (path.includes('\0')) throw new ImageError(`tar member '${path}': NUL in ${what}`);
  // "/" alone names the root (umoci writes it so); any other absolute name is refused.
  if (/^[/.]+$/.test(path) && !path.includes('..')) return [];
  if (path.startsWith('/')) throw new ImageError(`tar member '${path}': absolute ${what}`);
  const parts = path.split('/').filter((c) => c !== '' && c !== '.');
  if (parts.includes('..')) throw new ImageError(`tar member '${path}': '..' in ${what}`);
  return parts;
}

/**
 * Whether a relative symlink target, read from the directory holding the
 * link (at `depth` below the root), climbs above the layer root. Absolute
 * targets stay inside: the container resolves them against its own root, and
 * the unpacker never follows links, so they cannot reach the host.
 */
export function symlinkEscapes(depth: number, target: string): boolean {
  if (target.startsWith('/')) return false;
  let d = depth;
  for (const c of target.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') {
      d--;
      if (d < 0) return true;
    } else {
      d++;
    }
  }
  return false;
}
