import { closeSync, write as writeAsync } from 'node:fs';
import { isTerminal, openPipe, pumpFd, type FdPump } from '../kernel/index.js';
import type { StdioRelay } from '../runtime/exec.js';
import { writeBytes } from './output.js';

/** How long the output a payload left in the relay's pipes may take to drain once it exited. */
const DRAIN_MS = 500;

/** Which of the caller's fds go through a pipe rather than to the container as they are. */
export interface RelayedFds {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

/**
 * Without -t, a terminal of the caller's never reaches a container: a
 * process holding it could TIOCSTI keystrokes into the admin's shell, change
 * its modes, or keep reading it after the command ended (bubblewrap
 * CVE-2017-5226). So each of fds 0, 1, 2 that is a terminal is relayed
 * through a pipe; pipes and files are passed as they are (the container sees
 * what it would see under docker without -t). stdin only counts with -i:
 * without it the payload reads /dev/null.
 */
export function relayedFds(interactive: boolean, terminal: (fd: 0 | 1 | 2) => boolean): RelayedFds {
  return { stdin: interactive && terminal(0), stdout: terminal(1), stderr: terminal(2) };
}

/** The CLI's side of a relay: StdioRelay for the runtime, finish() for the CLI once the payload is done. */
export interface TerminalRelay extends StdioRelay {
  /** Copies out what the payload left in its pipes (briefly), then stops relaying. Idempotent. */
  finish(): Promise<void>;
}

/**
 * Pipes for the caller's terminals among fds 0, 1, 2 (relayedFds), and the
 * copying between them, or undefined when none is a terminal. Reads run on
 * threads of the binding's (pumpFd); output goes out with the CLI's own
 * writes (in order with its lines), input into the pipe on libuv's pool, so
 * a payload that does not read cannot block the CLI.
 */
export function relayTerminals(interactive: boolean): TerminalRelay | undefined {
  const which = relayedFds(interactive, isTerminal);
  if (!which.stdin && !which.stdout && !which.stderr) return undefined;

  const theirs: number[] = []; // the container's ends, ours to close once the stage has forked
  const pumps: FdPump[] = [];
  const outputEnded: Promise<number>[] = [];
  const out = (fd: 1 | 2): number => {
    const p = openPipe();
    theirs.push(p.write);
    const pump = pumpFd(p.read, (chunk) => writeBytes(fd, chunk));
    pumps.push(pump);
    outputEnded.push(pump.ended);
    return p.write;
  };

  let stdin: number | undefined;
  let input: { fd: number; queue: Promise<void>; closed: boolean } | null = null;
  // Once what is queued is in (or failed): a write still on the pool must not meet a closed or reused fd.
  const closeInput = (): void => {
    const sink = input;
    if (!sink || sink.closed) return;
    sink.closed = true;
    void sink.queue.then(() => closeSync(sink.fd));
  };
  if (which.stdin) {
    const p = openPipe();
    stdin = p.read;
    theirs.push(p.read);
    const sink = (input = { fd: p.write, queue: Promise.resolve(), closed: false });
    const pump = pumpFd(0, (chunk) => {
      if (!sink.closed) sink.queue = sink.queue.then(() => writeFully(sink, chunk));
    });
    pumps.push(pump);
    // Our stdin ended (^D on the terminal): the payload reads EOF once what came before is in.
    void pump.ended.then(closeInput);
  }
  const stdout = which.stdout ? out(1) : undefined;
  const stderr = which.stderr ? out(2) : undefined;

  const closeTheirs = (): void => {
    for (const fd of theirs.splice(0)) closeSync(fd);
  };
  let finished: Promise<void> | null = null;
  return {
    ...(stdin !== undefined ? { stdin } : {}),
    ...(stdout !== undefined ? { stdout } : {}),
    ...(stderr !== undefined ? { stderr } : {}),
    forked: closeTheirs,
    finish(): Promise<void> {
      finished ??= (async () => {
        closeTheirs();
        // Usually immediate: the payload's exit closed the last writer. A
        // background process it left may hold a pipe longer; not waited for.
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([Promise.all(outputEnded), new Promise<void>((r) => { timer = setTimeout(r, DRAIN_MS); })]);
        clearTimeout(timer);
        for (const p of pumps) p.ref(false);
        closeInput();
      })();
      return finished;
    },
  };
}

/** Writes all of chunk into the payload's stdin pipe; a payload gone (EPIPE) ends the input. */
async function writeFully(sink: { fd: number }, chunk: Uint8Array): Promise<void> {
  let off = 0;
  while (off < chunk.length) {
    const n = await new Promise<number>((resolve) => {
      writeAsync(sink.fd, chunk, off, chunk.length - off, null, (err, written) => resolve(err ? -1 : written));
    });
    if (n < 0) return;
    off += n;
  }
}
