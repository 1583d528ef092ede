import { join } from 'node:path';
import { acquireLock, isLockBusy, type Lock } from '../../kernel/lock.js';
import { ImageError } from '../errors.js';
import type { StorePaths } from './paths.js';
import { mkdirPrivate } from '../../state/private-dir.js';

/**
 * The layer store's locks, files under locks/ (see kernel/lock.ts). Imports
 * hold the store lock shared; prune holds it exclusive, so it never deletes
 * a layer an import is about to reference. Each layer has its own exclusive
 * lock so two imports of a shared layer unpack it once.
 */
export type { Lock } from '../../kernel/lock.js';

function lockFile(p: StorePaths, name: string): string {
  // Always the store's locks/, directly under its root.
  mkdirPrivate(p.locks, p.root);
  return join(p.locks, name);
}

/** The store lock, shared, waiting without blocking the event loop (imports, a container's image lookup). */
export async function shareStore(p: StorePaths): Promise<Lock> {
  return acquireLock(lockFile(p, 'store.lock'), { mode: 'shared', wait: 'poll-async' });
}

/** One layer's lock, exclusive, waiting without blocking the event loop. */
export async function lockLayer(p: StorePaths, hex: string): Promise<Lock> {
  return acquireLock(lockFile(p, `layer-${hex}.lock`), { wait: 'poll-async' });
}

/** The store lock, exclusive, for the synchronous prune: waits up to `timeoutMs`, then says who is in the way. */
export function lockStore(p: StorePaths, timeoutMs = 60_000): Lock {
  const path = lockFile(p, 'store.lock');
  try {
    return acquireLock(path, { wait: 'poll-sync', timeoutMs });
  } catch (e) {
    if (isLockBusy(e)) throw new ImageError(`the layer store is busy (an import is running; lock ${path})`, { cause: e });
    throw e;
  }
}
