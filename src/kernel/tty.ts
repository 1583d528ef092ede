import { closeSync } from 'node:fs';
import { KernelError } from './errors.js';
import { nativeAddon } from './addon.js';
import { tty } from '../builtins.js';
import type { StdioPlan } from './types.js';

/** Gives the master that release() brought back to the plan's owner (or closes a stray one). */
export function handOverPty(stdio: StdioPlan | undefined, fd: number): void {
  if (fd < 0) return;
  if (stdio?.kind !== 'pty') {
    closeSync(fd);
    return;
  }
  stdio.onMaster(fd);
}

/** TIOCSWINSZ on a pty master; the kernel sends SIGWINCH to the payload's foreground group. */
export function setWindowSize(fd: number, rows: number, cols: number): void {
  const r = nativeAddon().setWinsize(fd, rows, cols);
  if (r < 0) throw new KernelError({ stage: 'kernel', syscall: 'ioctl', what: 'TIOCSWINSZ', errno: -r, path: '' });
}

/** The master end of a payload's pty as a duplex byte stream. */
export interface PtyMaster {
  /** Bytes the payload wrote to its terminal. */
  onData(cb: (chunk: Buffer) => void): void;
  /** Once: every process holding the slave has closed it (EIO on the master), or close(). */
  onEnd(cb: () => void): void;
  write(data: Buffer | string): void;
  resize(rows: number, cols: number): void;
  /** Closes the master; the payload's terminal hangs up. Idempotent. */
  close(): void;
}

/**
 * Wraps a master fd (taking ownership) in a tty.ReadStream: libuv polls it
 * on the event loop, non-blocking, and does not reopen a master (it would
 * get a new pty). When the last slave closes, Linux returns the buffered
 * output first and then EIO, which is the end of the stream, not an error.
 */
export function openPtyMaster(fd: number): PtyMaster {
  const stream = new (tty().ReadStream)(fd);
  let ended = false;
  const endCbs: (() => void)[] = [];
  const end = (): void => {
    if (ended) return;
    ended = true;
    for (const cb of endCbs) cb();
  };
  // EIO: the slave side is gone. Any other error ends the session as well.
  stream.on('error', end);
  stream.on('end', end);
  stream.on('close', end);
  return {
    onData: (cb) => { stream.on('data', (d: Buffer | string) => cb(typeof d === 'string' ? Buffer.from(d) : d)); },
    onEnd: (cb) => { if (ended) cb(); else endCbs.push(cb); },
    write: (data) => { if (!ended) stream.write(data); },
    resize: (rows, cols) => { if (!ended) setWindowSize(fd, rows, cols); },
    close: () => { end(); stream.destroy(); },
  };
}
