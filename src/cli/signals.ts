import { os } from '../builtins.js';
import { UsageError } from '../errors.js';

/** "TERM", "SIGTERM", "15" → 15. */
export function parseSignal(text: string): number {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n >= 1 && n <= 64) return n;
  }
  const name = text.toUpperCase().startsWith('SIG') ? text.toUpperCase() : `SIG${text.toUpperCase()}`;
  const n = (os().constants.signals as Record<string, number>)[name];
  if (n === undefined) throw new UsageError(`'${text}' is not a signal`);
  return n;
}

const RELAYED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

/**
 * Passes the signals a user sends to the CLI on to the payload; returns the
 * undo. With -t, SIGWINCH is not passed: the new size goes to the pty
 * (TIOCSWINSZ), and the kernel signals the payload's foreground group.
 */
export function relaySignals(to: (sig: number) => void, opts: { tty?: boolean } = {}): () => void {
  const sigs = RELAYED.filter((s) => !(opts.tty && s === 'SIGWINCH'));
  const handlers = sigs.map((s) => {
    // node:os loads when a signal comes, not on every run
    const h = (): void => to(os().constants.signals[s]);
    process.on(s, h);
    return [s, h] as const;
  });
  return () => { for (const [s, h] of handlers) process.off(s, h); };
}
