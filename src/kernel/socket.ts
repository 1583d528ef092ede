import { nativeAddon, type SocketReader } from './addon.js';

/**
 * A Unix stream socket connected and written synchronously, read on a thread
 * of its own (native/addon/socket.c says why not node:net). The D-Bus
 * connection is its one user (src/systemd/dbus/socket.ts).
 */
export type { SocketReader };

/** A connected socket (close-on-exec, sends time out after 30 s), or -errno. A leading NUL: abstract. */
export function unixConnect(path: Uint8Array): number {
  return nativeAddon().unixConnect(path);
}

/** 0 once all of data is sent, or -errno. */
export function sendAll(fd: number, data: Uint8Array): number {
  return nativeAddon().sendAll(fd, data);
}

/**
 * Reads fd on a thread: onChunk(data, 0) per read, onChunk(undefined, 0)
 * after each 200 ms without data, then once onChunk(null, errno) (0: end of
 * file), by which time fd is closed.
 */
export function startReader(fd: number, onChunk: (data: Uint8Array | null | undefined, errno: number) => void): SocketReader {
  return nativeAddon().startReader(fd, onChunk);
}

/** Whether the reader keeps the event loop alive (it does from the start). */
export function refReader(reader: SocketReader, on: boolean): void {
  nativeAddon().refReader(reader, on);
}

/** shutdown(fd, SHUT_RDWR): the reader sees the end. 0 or -errno. */
export function shutdownSocket(fd: number): number {
  return nativeAddon().shutdownSocket(fd);
}
