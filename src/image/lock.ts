import { closeSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { flock, LOCK_EX, LOCK_NB, LOCK_SH } from '../kernel/fsops.js';
import { ImageError } from './errors.js';
import { sleep } from '../sleep.js';
import { mkdirPrivate } from '../state/private-dir.js';

/**
 * flock(2) locks on files under locks/: the kernel releases them when the
 * holder dies, so a kill -9 mid-import never leaves a stale lock to break.
 * Imports hold the store lock shared; prune holds it exclusive, so it never
 * deletes a layer an import is about to reference. Each layer has its own
 * exclusive lock so two imports of a shared layer unpack it once.
 */
export interface Lock {
  release(): void;
}

const POLL_MS = 50;

function openLockFile(dir: string, name: string): number {
  // Always the store's locks/, directly under its root.
  mkdirPrivate(dir, dirname(dir));
  return openSync(join(dir, name), 'a', 0o600);
}

function held(fd: number): Lock {
  let open = true;
  return {
    release(): void {
      if (!open) return;
      open = false;
      closeSync(fd); // closing the last fd drops the flock
    },
  };
}

/** Waits (without blocking the event loop) for the lock. */
export async function lockAsync(dir: string, name: string, shared: boolean): Promise<Lock> {
  const fd = openLockFile(dir, name);
  try {
    const op = (shared ? LOCK_SH : LOCK_EX) | LOCK_NB;
    while (!flock(fd, op, join(dir, name))) await sleep(POLL_MS);
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  return held(fd);
}

/** For the synchronous verbs (prune): waits up to `timeoutMs`, then says who is in the way. */
export function lockSync(dir: string, name: string, shared: boolean, timeoutMs = 60_000): Lock {
  const fd = openLockFile(dir, name);
  const op = (shared ? LOCK_SH : LOCK_EX) | LOCK_NB;
  const deadline = Date.now() + timeoutMs;
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  try {
    while (!flock(fd, op, join(dir, name))) {
      if (Date.now() > deadline) throw new ImageError(`the layer store is busy (an import is running; lock ${join(dir, name)})`);
      Atomics.wait(sleeper, 0, 0, POLL_MS);
    }
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  return held(fd);
}
