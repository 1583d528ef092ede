import { mkdirSync } from 'node:fs';
import { removeTree } from '../kernel/fsops.js';
import type { RootfsPlan } from '../kernel/types.js';
import type { ResolvedImage } from '../image/index.js';
import { containerPaths } from '../state/container.js';
import { mkdirPrivate } from '../state/private-dir.js';
import { RootfsError } from './errors.js';

/**
 * A container's overlay: the image's layers below, its own upper and work
 * dirs above. The upper dir persists across restarts (the container's
 * writes), the work dir is overlay's scratch space.
 */
export function rootfsPlan(name: string, image: ResolvedImage): RootfsPlan {
  const p = containerPaths(name);
  return { lowerdirs: image.layers, upperdir: p.upper, workdir: p.work, mountpoint: p.rootfs };
}

/** Creates the container's directories; returns whether the container dir is new (for undo). */
export function createContainerDirs(name: string): boolean {
  const p = containerPaths(name);
  let created = false;
  try {
    created = mkdirPrivate(p.dir) !== undefined;
    for (const d of [p.upper, p.work, p.rootfs]) mkdirSync(d, { recursive: true, mode: 0o755 });
    mkdirSync(p.run, { recursive: true, mode: 0o755 });
  } catch (e) {
    throw new RootfsError(`cannot create ${p.dir}: ${(e as Error).message}`, p.dir, { cause: e });
  }
  return created;
}

export function removeContainerDirs(name: string): void {
  const p = containerPaths(name);
  removeTree(p.dir);
  removeTree(p.run);
}
