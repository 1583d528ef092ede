import { openPtyMaster, type PtyMaster } from '../kernel/index.js';
import type { PtyFrontend } from '../runtime/exec.js';

/** How long the output a payload left in its pty may take to drain once it exited. */
const DRAIN_MS = 500;

export interface TerminalSession extends PtyFrontend {
  /** Puts the local terminal back as it was; idempotent, safe before attach. */
  restore(): void;
}

/**
 * The CLI's side of -t, as `docker run -t`/`-it` behave: the payload's pty
 * output goes to our stdout; with -i our stdin goes to the pty, and when
 * stdin is a terminal it is put in raw mode, so ^C, ^Z and line editing
 * reach the payload's line discipline instead of acting on this CLI. The
 * window size follows our terminal's (the kernel then sends SIGWINCH inside).
 */
export function terminalSession(opts: { interactive: boolean }): TerminalSession {
  const stdin = process.stdin;
  const stdout = process.stdout;
  // Where our window size comes from: stdout when it is a terminal, else stderr (e.g. `run -t … | less`).
  const sizer = stdout.isTTY ? stdout : process.stderr.isTTY ? process.stderr : null;
  let master: PtyMaster | null = null;
  let raw = false;
  let ended: Promise<void> = Promise.resolve();
  const onInput = (d: Buffer): void => master?.write(d);
  // Our stdin ended (a pipe): the payload reads EOF as from a typed ^D (VEOF).
  const onInputEnd = (): void => master?.write('\x04');
  const onResize = (): void => { if (sizer) master?.resize(sizer.rows, sizer.columns); };

  const restore = (): void => {
    stdin.off('data', onInput);
    stdin.off('end', onInputEnd);
    sizer?.off('resize', onResize);
    if (raw) stdin.setRawMode(false);
    raw = false;
    if (opts.interactive) stdin.pause();
  };

  return {
    rows: sizer?.rows ?? 0,
    cols: sizer?.columns ?? 0,
    attach(fd: number): void {
      const m = openPtyMaster(fd);
      master = m;
      ended = new Promise((resolve) => m.onEnd(resolve));
      m.onData((d) => stdout.write(d));
      sizer?.on('resize', onResize);
      if (!opts.interactive) return;
      if (stdin.isTTY) {
        stdin.setRawMode(true);
        raw = true;
      }
      stdin.on('data', onInput);
      stdin.on('end', onInputEnd);
      stdin.resume();
    },
    async finish(): Promise<void> {
      // Usually immediate: the last holder of the slave exited, the master
      // returns what is buffered and then EIO. A background process of an
      // exec'd command may hold it open longer; do not wait for that.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([ended, new Promise<void>((r) => { timer = setTimeout(r, DRAIN_MS); })]);
      clearTimeout(timer);
      restore();
      master?.close();
      master = null;
    },
    restore,
  };
}
