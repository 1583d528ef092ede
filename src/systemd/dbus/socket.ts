import { pumpFd, sendAll, shutdownSocket, unixConnect, type FdPump } from '../../kernel/socket.js';
import { errnoName } from '../../kernel/errors.js';
import { EPIPE } from '../../kernel/errno.js';
import { asciiBytes } from './bytes.js';
import { DBusConnectionError } from './errors.js';

/**
 * A bus connection's byte stream: a Unix socket connected and written
 * synchronously through the native binding, read on a thread of its own
 * (native/addon/socket.c says why not node:net: the handshake must not wait
 * for the event loop). Sends block at most 30 s; the bus daemon reads
 * continuously, so in practice they never block.
 */
export class BusSocket {
  /** Bytes as they arrive, as plain Uint8Arrays (bytes.ts says why). */
  onData: (chunk: Uint8Array) => void = () => {};
  /** After each 200 ms without data, while the socket is open: the connection's clock. */
  onTick: () => void = () => {};
  /** Once, at the end: errno 0 when the peer closed or shutdown() was called. */
  onEnd: (errno: number) => void = () => {};
  /** Resolves once the reader has ended and the fd is closed. */
  readonly ended: Promise<void>;

  private done = false;
  private readonly pump: FdPump;

  private constructor(private readonly fd: number) {
    this.pump = pumpFd(fd, (chunk) => this.onData(chunk), {
      onTick: () => this.onTick(),
      onEnd: (errno) => {
        this.done = true;
        this.onEnd(errno);
      },
    });
    this.ended = this.pump.ended.then(() => undefined);
  }

  /** Connects now (no event-loop turn needed). */
  static connect(path: string, address: string): BusSocket {
    const fd = unixConnect(asciiBytes(path) ?? Buffer.from(path));
    if (fd < 0) throw new DBusConnectionError(`cannot connect to ${path.replace('\0', '@')}: ${errnoName(-fd)}`, address);
    return new BusSocket(fd);
  }

  /** Sends all of data now; 0, or the errno that ended the connection. */
  write(data: Uint8Array): number {
    if (this.done) return EPIPE;
    const r = sendAll(this.fd, data);
    return r < 0 ? -r : 0;
  }

  /** Keep the process alive while the socket is open (the default), or not. */
  ref(on: boolean): void {
    this.pump.ref(on);
  }

  /** Ends both directions; onEnd and `ended` follow. */
  shutdown(): void {
    if (!this.done) shutdownSocket(this.fd);
  }
}
