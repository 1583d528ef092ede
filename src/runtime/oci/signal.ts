import { os } from '../../builtins.js';
import { UsageError } from '../../errors.js';

/** TERM, SIGTERM, 15 (runc's and kill(1)'s spellings) to a signal number. */
export function parseSignal(text: string | undefined): number {
  const { signals } = os().constants;
  if (text === undefined || text === '') return signals.SIGTERM;
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n >= 1 && n <= 64) return n;
  } else {
    const name = (text.toUpperCase().startsWith('SIG') ? text.toUpperCase() : `SIG${text.toUpperCase()}`) as NodeJS.Signals;
    const n = signals[name];
    if (n !== undefined) return n;
  }
  throw new UsageError(`'${text}' is not a signal`);
}
