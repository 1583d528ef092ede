import { writeSync } from 'node:fs';

/**
 * The CLI's lines to stdout and stderr, written with write(2) on fds 1 and 2.
 *
 * Why not process.stdout/stderr: when fd 1 or 2 is a pipe (a script, a
 * test, `| jq`), the first touch of process.stdout builds a net.Socket and
 * loads Node's whole stream and net stack, 27 modules, for the one line
 * `start` prints (docs/decisions.md).
 *
 * A pipe whose reader went away (EPIPE: `tsmachine list | head -1`) or a
 * closed descriptor ends that output quietly. A non-blocking descriptor that is full (EAGAIN) hands the
 * rest, and every later write to that fd, to Node's stream, which waits for
 * it (and keeps the order); main.ts's fast exit already waits for queued
 * stream writes.
 */
type Fd = 1 | 2;

const streams: Partial<Record<Fd, NodeJS.WriteStream>> = {};
const closed: Partial<Record<Fd, true>> = {};

function write(fd: Fd, text: string | Uint8Array): void {
  if (closed[fd]) return;
  const queued = streams[fd];
  if (queued) { queued.write(text); return; }
  const buf = typeof text === 'string' ? Buffer.from(text) : text;
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(fd, buf, off, buf.length - off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EINTR') continue;
      if (code === 'EAGAIN') {
        const s = (streams[fd] = fd === 1 ? process.stdout : process.stderr);
        s.write(buf.subarray(off));
      } else {
        closed[fd] = true; // EPIPE, or no such descriptor: nobody reads this
      }
      return;
    }
  }
}

/** A payload's bytes, relayed to our stdout or stderr (src/cli/stdio-relay.ts), in order with our lines. */
export function writeBytes(fd: Fd, bytes: Uint8Array): void {
  write(fd, bytes);
}

/** One line (or lines) of output; the newline is added. */
export function printOut(line: string): void {
  write(1, `${line}\n`);
}

/** Text to stderr, as given (callers end their lines). */
export function printErr(text: string): void {
  write(2, text);
}
