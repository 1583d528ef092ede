import type { PayloadIo } from '../runtime/exec.js';
import { flag, type Parsed } from './args.js';
import { relaySignals } from './signals.js';
import { relayTerminals } from './stdio-relay.js';

/** A foreground payload's wiring: stdio as docker's -i/-t, and the CLI's signals passed on to it. */
export type ForegroundIo = PayloadIo & { relaySignals: (to: (sig: number) => void) => () => void };

/**
 * -i and -t of run and exec: with -t a terminal session (the local terminal
 * raw while the payload runs), restored however `fn` ends. terminal.js is
 * only loaded for -t. Without -t, those of our fds 0, 1, 2 that are
 * terminals are relayed through pipes (stdio-relay.ts): no terminal of the
 * host's reaches the container.
 */
export async function withForegroundIo<T>(p: Parsed, fn: (io: ForegroundIo) => Promise<T>): Promise<T> {
  const interactive = flag(p, 'interactive');
  const tty = flag(p, 'tty');
  const session = tty ? (await import('./terminal.js')).terminalSession({ interactive }) : undefined;
  const relay = tty ? undefined : relayTerminals(interactive);
  try {
    return await fn({
      interactive, ...(session ? { tty: session } : {}), ...(relay ? { relay } : {}),
      relaySignals: (to) => relaySignals(to, { tty }),
    });
  } finally {
    session?.restore();
    await relay?.finish();
  }
}
