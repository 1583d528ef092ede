import { nativeAddon } from './addon.js';

/**
 * A Unix stream socket connected and written synchronously, and the reader
 * thread that reads it, or any fd (the stdio relay's pipes and terminal):
 * native/addon/socket.c says why not node:net. No stream of Node's, so
 * nothing loads net or tty and nothing changes the fd's flags (a terminal's
 * file description is shared with the caller's shell).
 */

/** A connected socket (close-on-exec, sends time out after 30 s), or -errno. A leading NUL: abstract. */
export function unixConnect(path: Uint8Array): number {
  return nativeAddon().unixConnect(path);
}

/** 0 once all of data is sent, or -errno. */
export function sendAll(fd: number, data: Uint8Array): number {
  return nativeAddon().sendAll(fd, data);
}

/** shutdown(fd, SHUT_RDWR): the reader sees the end. 0 or -errno. */
export function shutdownSocket(fd: number): number {
  return nativeAddon().shutdownSocket(fd);
}

/** A reader thread on an fd: it owns the fd and closes it at its end. */
export interface FdPump {
  /** Resolves at the end of the fd's data (EOF, shutdown or a read error: its errno, 0 for EOF); the fd is closed by then. */
  readonly ended: Promise<number>;
  /** Whether it keeps the event loop alive (it does from the start). Nothing after its end. */
  ref(on: boolean): void;
}

/**
 * Reads fd on a thread of its own and hands each chunk to onData on the
 * main thread, as a plain Uint8Array. onTick runs after each 200 ms without
 * data (the D-Bus connection's clock); onEnd runs once, at the end, before
 * `ended` resolves.
 */
export function pumpFd(
  fd: number, onData: (chunk: Uint8Array) => void,
  hooks: { onTick?: () => void; onEnd?: (errno: number) => void } = {},
): FdPump {
  const lib = nativeAddon();
  let done = false;
  let resolveEnded: (errno: number) => void = () => {};
  const ended = new Promise<number>((resolve) => { resolveEnded = resolve; });
  const reader = lib.startReader(fd, (chunk, errno) => {
    if (chunk) return onData(chunk);
    if (chunk === undefined) return hooks.onTick?.();
    done = true;
    hooks.onEnd?.(errno);
    resolveEnded(errno);
  });
  return { ended, ref: (on) => { if (!done) lib.refReader(reader, on); } };
}
