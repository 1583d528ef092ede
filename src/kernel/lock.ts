import { closeSync, openSync } from 'node:fs';
import { sleep } from '../sleep.js';
import { errnoName, KernelError } from './errors.js';
import { nativeAddon } from './addon.js';
import { EWOULDBLOCK } from './errno.js';

/**
 * The one lock of tsmachine: flock(2) on a file (created if missing), held
 * through an open fd, so the kernel drops it when the holder dies and a
 * kill -9 never leaves a stale lock to break. Separate opens conflict too,
 * so it also serialises callers within one process. Used for a container's
 * name, the user-namespace reservations, the layer store and the IPAM.
 */
export interface Lock {
  release(): void;
}

export type LockMode = 'shared' | 'exclusive';

/**
 * What to do while another process holds the lock:
 * - 'try': nothing, fail at once;
 * - 'block': flock without LOCK_NB, blocking the thread (short critical sections of synchronous code);
 * - 'poll-sync': retry LOCK_NB, sleeping the thread between tries, until `timeoutMs` (synchronous verbs that must give up);
 * - 'poll-async': retry LOCK_NB on a timer, so the event loop keeps running (imports, the IPAM).
 */
export type LockWait = 'try' | 'block' | 'poll-sync' | 'poll-async';

export interface LockOptions {
  /** Default 'exclusive'. */
  mode?: LockMode;
  /** How long the polling waits give up after; default never. */
  timeoutMs?: number;
}

const LOCK_SH = 1;
const LOCK_EX = 2;
const LOCK_NB = 4;

/** Between polls: short first (most holders are quick), backing off so a long holder costs few wakeups. */
const FIRST_POLL_MS = 1;
const MAX_POLL_MS = 20;

/**
 * Any failure to take a lock: flock's errno, or EWOULDBLOCK when the lock is
 * held elsewhere ('try', or a polling wait that timed out: `waitedMs`).
 */
export class LockError extends KernelError {
  constructor(path: string, readonly mode: LockMode, errno: number, readonly waitedMs: number | null = null) {
    super({ stage: 'kernel', syscall: 'flock', what: errno === EWOULDBLOCK ? 'held by another process' : '', errno, path });
    if (waitedMs !== null) this.message = `timed out after ${waitedMs} ms waiting for the lock ${path}`;
  }
}

/** True for a lock held by another process (LockError EWOULDBLOCK), the one failure callers word themselves. */
export function isLockBusy(e: unknown): boolean {
  return e instanceof KernelError && e.syscall === 'flock' && errnoName(e.errno) === 'EAGAIN';
}

function held(fd: number): Lock {
  let open = true;
  return {
    release(): void {
      if (!open) return;
      open = false;
      closeSync(fd); // closing the only fd drops the flock
    },
  };
}

/** flock once: true when taken, false when held elsewhere (non-blocking op), a LockError otherwise. */
function tryFlock(fd: number, op: number, path: string, mode: LockMode): boolean {
  const r = nativeAddon().flock(fd, op);
  if (r >= 0) return true;
  if ((op & LOCK_NB) !== 0 && -r === EWOULDBLOCK) return false;
  throw new LockError(path, mode, -r);
}

function open(path: string): number {
  return openSync(path, 'a', 0o600); // Node opens with O_CLOEXEC: stages and payloads never inherit it
}

const deadlineOf = (options: LockOptions): number => (options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs);
const timedOut = (path: string, mode: LockMode, options: LockOptions): LockError => new LockError(path, mode, EWOULDBLOCK, options.timeoutMs ?? null);

/** 'poll-async': every failure, the open's too, is a rejection. */
async function acquireAsync(path: string, options: LockOptions): Promise<Lock> {
  const mode = options.mode ?? 'exclusive';
  const op = (mode === 'shared' ? LOCK_SH : LOCK_EX) | LOCK_NB;
  const fd = open(path);
  const deadline = deadlineOf(options);
  try {
    for (let delay = FIRST_POLL_MS; !tryFlock(fd, op, path, mode); delay = Math.min(delay * 2, MAX_POLL_MS)) {
      if (Date.now() > deadline) throw timedOut(path, mode, options);
      await sleep(delay);
    }
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  return held(fd);
}

export function acquireLock(path: string, options: LockOptions & { wait: 'poll-async' }): Promise<Lock>;
export function acquireLock(path: string, options?: LockOptions & { wait?: 'try' | 'block' | 'poll-sync' }): Lock;
/** Takes the lock on `path` (default: exclusive, 'try'). */
export function acquireLock(path: string, options: LockOptions & { wait?: LockWait } = {}): Lock | Promise<Lock> {
  const wait = options.wait ?? 'try';
  if (wait === 'poll-async') return acquireAsync(path, options);
  const mode = options.mode ?? 'exclusive';
  const op = (mode === 'shared' ? LOCK_SH : LOCK_EX) | (wait === 'block' ? 0 : LOCK_NB);
  const fd = open(path);
  try {
    if (wait === 'poll-sync') {
      const sleeper = new Int32Array(new SharedArrayBuffer(4));
      const deadline = deadlineOf(options);
      for (let delay = FIRST_POLL_MS; !tryFlock(fd, op, path, mode); delay = Math.min(delay * 2, MAX_POLL_MS)) {
        if (Date.now() > deadline) throw timedOut(path, mode, options);
        Atomics.wait(sleeper, 0, 0, delay);
      }
    } else if (!tryFlock(fd, op, path, mode)) {
      throw new LockError(path, mode, EWOULDBLOCK);
    }
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  return held(fd);
}

/** Runs `fn` holding the lock on `path` (waiting as 'poll-async'), and releases it however `fn` ends. */
export async function withLock<T>(path: string, options: LockOptions, fn: () => T | Promise<T>): Promise<T> {
  const lock = await acquireLock(path, { ...options, wait: 'poll-async' });
  try {
    return await fn();
  } finally {
    lock.release();
  }
}
