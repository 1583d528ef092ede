import { UsageError } from '../errors.js';

/**
 * `tsmachine logs`: the payload's stdout/stderr reach the journal under the
 * container's scope unit (identifier = container name), so logs are a
 * journalctl query, not files of our own.
 */
export interface JournalQuery {
  unit: string;
  follow?: boolean;
  /** Show only the last N lines. */
  lines?: number;
}

/** Arguments for `journalctl` (without the program name). */
export function journalctlArgs(q: JournalQuery): string[] {
  const args = ['-u', q.unit, '-o', 'cat', '--no-pager'];
  if (q.follow) args.push('-f');
  if (q.lines !== undefined) {
    if (!Number.isInteger(q.lines) || q.lines < 0) throw new UsageError(`lines must be a non-negative integer, got ${q.lines}`);
    args.push('-n', String(q.lines));
  }
  return args;
}
