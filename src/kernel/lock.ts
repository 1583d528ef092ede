import { closeSync, openSync } from 'node:fs';
import { errnoName, KernelError } from './errors.js';
import { nativeAddon } from './addon.js';
import { EWOULDBLOCK } from './errno.js';
import { LOCK_EX, LOCK_NB } from './fsops.js';

export interface Lock {
  release(): void;
}

/**
 * An exclusive flock on `path` (created if missing), held through an open fd:
 * the kernel drops it when this process dies, so a crash never leaves a stale
 * lock. Without `wait`, a held lock throws KernelError EWOULDBLOCK; with it,
 * the call blocks (synchronously) until the holder lets go.
 */
export function acquireLock(path: string, options: { wait?: boolean } = {}): Lock {
  const fd = openSync(path, 'a', 0o600); // Node opens with O_CLOEXEC: stages and payloads never inherit it
  const r = nativeAddon().flock(fd, LOCK_EX | (options.wait ? 0 : LOCK_NB));
  if (r < 0) {
    closeSync(fd);
    throw new KernelError({ stage: 'kernel', syscall: 'flock', what: -r === EWOULDBLOCK ? 'held by another process' : '', errno: -r, path });
  }
  let held = true;
  return {
    release(): void {
      if (!held) return;
      held = false;
      closeSync(fd); // closing the only fd releases the flock
    },
  };
}

export function isLockBusy(e: unknown): boolean {
  return e instanceof KernelError && e.syscall === 'flock' && errnoName(e.errno) === 'EAGAIN';
}
