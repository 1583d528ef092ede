/**
 * Import progress as events; the library never prints. The CLI passes
 * ttyProgress(process.stderr), which draws one updating line on a terminal
 * and returns undefined (no reporting at all) when stderr is piped.
 */
export interface ImportProgress {
  /** 1-based index of the layer being handled, of `layers` (0 of 0 while 'reading'). */
  layer: number;
  layers: number;
  /** Blob bytes read so far over the whole import, of `totalBytes` (0: not known, as for a pipe). */
  bytes: number;
  totalBytes: number;
  /**
   * 'reading': the archive is being copied off a pipe or decompressed into
   * the store's tmp/ before its layers can be read (see archive/spool.ts); bytes
   * count the input. 'reused' when the layer was already in the store.
   */
  state: 'reading' | 'unpacking' | 'reused' | 'done';
}

export type ProgressFn = (p: ImportProgress) => void;

function mb(n: number): string {
  return `${(n / 1e6).toFixed(1)} MB`;
}

export function formatProgress(p: ImportProgress): string {
  if (p.state === 'reading') {
    const of = p.totalBytes > 0 ? ` / ${mb(p.totalBytes)} (${Math.floor((100 * p.bytes) / p.totalBytes)}%)` : '';
    return `reading archive  ${mb(p.bytes)}${of}`;
  }
  const pct = p.totalBytes > 0 ? Math.floor((100 * p.bytes) / p.totalBytes) : 100;
  const what = p.state === 'reused' ? 'already stored' : p.state === 'done' ? 'done' : 'unpacking';
  return `layer ${p.layer}/${p.layers} ${what}  ${mb(p.bytes)} / ${mb(p.totalBytes)} (${pct}%)`;
}

/** The last event of a whole import (the last layer unpacked or found stored): the progress line ends there. */
export function endsLine(p: ImportProgress): boolean {
  return p.layers > 0 && p.layer === p.layers && (p.state === 'done' || p.state === 'reused');
}

export function ttyProgress(stream: NodeJS.WriteStream): ProgressFn | undefined {
  if (!stream.isTTY) return undefined;
  let last = 0;
  return (p) => {
    const now = Date.now();
    // A redraw per chunk would cost more than the import; 10 per second is plenty.
    if ((p.state === 'unpacking' || p.state === 'reading') && now - last < 100) return;
    last = now;
    stream.write(`\r\x1b[K${formatProgress(p)}${endsLine(p) ? '\n' : ''}`);
  };
}
