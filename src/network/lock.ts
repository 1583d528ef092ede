import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { sleep } from '../sleep.js';
import { flock, LOCK_EX, LOCK_NB } from '../kernel/fsops.js';
import { NetworkError } from './errors.js';

/**
 * An exclusive flock(2) on a lock file. flock dies with its holder, so a
 * start killed with SIGKILL never leaves the IPAM locked. Taken with LOCK_NB
 * and retried on a timer, so waiting never blocks Node's event loop; separate
 * opens conflict too, so this also serialises callers within one process.
 */
export async function withLock<T>(path: string, fn: () => T | Promise<T>, timeoutMs = 30_000): Promise<T> {
  // The first of these may be STATE_DIR itself: private, as state/private-dir.ts makes it.
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const fd = openSync(path, 'a', 0o644);
  try {
    const deadline = Date.now() + timeoutMs;
    let delay = 1;
    while (!flock(fd, LOCK_EX | LOCK_NB, path)) {
      if (Date.now() > deadline) throw new NetworkError(`timed out after ${timeoutMs} ms waiting for the lock ${path}`);
      await sleep(delay);
      delay = Math.min(delay * 2, 20);
    }
    return await fn();
  } finally {
    closeSync(fd); // the only fd: closing it drops the lock
  }
}
