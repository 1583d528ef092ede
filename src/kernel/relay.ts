import { KernelError } from './errors.js';
import { nativeAddon } from './addon.js';

/** Whether fd is a terminal (isatty(3)). */
export function isTerminal(fd: number): boolean {
  return nativeAddon().isatty(fd) === 1;
}

/** A pipe, both ends close-on-exec (a stage dup2s the container's end onto 0, 1 or 2). */
export function openPipe(): { read: number; write: number } {
  const r = nativeAddon().pipe();
  if (typeof r === 'number') throw new KernelError({ stage: 'kernel', syscall: 'pipe2', what: 'stdio relay', errno: -r, path: '' });
  return { read: r[0], write: r[1] };
}

/** A reader thread on an fd (see native/addon/socket.c): it owns the fd and closes it at its end. */
export interface FdPump {
  /** Resolves at the end of the fd's data (EOF or a read error); the fd is closed by then. */
  readonly ended: Promise<void>;
  /** Whether it keeps the event loop alive (it does from the start). */
  ref(on: boolean): void;
}

/**
 * Reads fd on a thread of its own and hands each chunk to onData on the
 * main thread: no node:net or tty stream (tens of ms to load in the test
 * VM) and nothing that changes the fd's flags (a terminal's file
 * description is shared with the caller's shell).
 */
export function pumpFd(fd: number, onData: (chunk: Uint8Array) => void): FdPump {
  const lib = nativeAddon();
  let done = false;
  let resolveEnded: () => void = () => {};
  const ended = new Promise<void>((resolve) => { resolveEnded = resolve; });
  const reader = lib.startReader(fd, (chunk) => {
    if (chunk) { onData(chunk); return; }
    if (chunk === undefined) return; // a quiet tick
    done = true;
    resolveEnded();
  });
  return { ended, ref: (on) => { if (!done) lib.refReader(reader, on); } };
}
