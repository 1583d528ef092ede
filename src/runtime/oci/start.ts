import { closeSync, openSync, readSync, constants, unlinkSync } from 'node:fs';
import { stateJson } from '../../oci/index.js';
import { OciRuntimeError } from './errors.js';
import { runHooksWarning } from './hooks.js';
import { initAlive, statusOf } from './status.js';
import type { OciStore } from './store.js';
import { acquireLock } from '../../kernel/index.js';

/** How long start waits for a parked init to take the fifo (it is already blocked in open, so it does at once). */
const FIFO_WAIT_MS = 10_000;

/**
 * Reads init's "0" from exec.fifo without ever blocking on a dead init: the
 * read end is opened non-blocking (no writer needed), which releases init's
 * blocking open for writing; then EAGAIN means "opened, not yet written",
 * EOF "not yet opened".
 */
function releaseInit(fifo: string, alive: () => boolean, id: string): void {
  const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const buf = Buffer.alloc(1);
  const deadline = Date.now() + FIFO_WAIT_MS;
  try {
    for (let delay = 1; ; delay = Math.min(delay * 2, 20)) {
      try {
        if (readSync(fd, buf, 0, 1, null) === 1) return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      }
      if (!alive()) throw new OciRuntimeError('the container\'s init exited before it was started', id);
      if (Date.now() > deadline) throw new OciRuntimeError(`the container's init did not open ${fifo}`, id);
      Atomics.wait(sleeper, 0, 0, delay);
    }
  } finally {
    closeSync(fd);
  }
}

/** runtime-spec `start`: the payload runs; poststart hooks after it did. */
export function startContainer(store: OciStore, id: string, warn: (line: string) => void): void {
  const lock = acquireLock(store.lockFile(store.get(id).id), { wait: 'poll-sync', timeoutMs: 30_000 });
  try {
    const r = store.get(id);
    const status = statusOf(store, r);
    if (status !== 'created') throw new OciRuntimeError(`cannot start a container that is ${status}`, id);
    const fifo = store.fifo(id);
    releaseInit(fifo, () => initAlive(r), id);
    unlinkSync(fifo);
    r.phase = 'started';
    store.write(r);
    if (r.poststart.length > 0) runHooksWarning(id, 'poststart', r.poststart, JSON.stringify(stateJson({ id, status: 'running', pid: r.pid, bundle: r.bundle, annotations: r.annotations })), warn);
  } finally {
    lock.release();
  }
}
