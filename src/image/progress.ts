/**
 * Import progress as events; the library never prints. The CLI passes
 * ttyProgress(process.stderr), which draws one updating line on a terminal
 * and returns undefined (no reporting at all) when stderr is piped.
 */
export interface ImportProgress {
  /** 1-based index of the layer being handled, of `layers`. */
  layer: number;
  layers: number;
  /** Blob bytes read so far over the whole import, of `totalBytes`. */
  bytes: number;
  totalBytes: number;
  /** 'reused' when the layer was already in the store. */
  state: 'unpacking' | 'reused' | 'done';
}

export type ProgressFn = (p: ImportProgress) => void;

function mb(n: number): string {
  return `${(n / 1e6).toFixed(1)} MB`;
}

export function formatProgress(p: ImportProgress): string {
  const pct = p.totalBytes > 0 ? Math.floor((100 * p.bytes) / p.totalBytes) : 100;
  const what = p.state === 'reused' ? 'already stored' : p.state === 'done' ? 'done' : 'unpacking';
  return `layer ${p.layer}/${p.layers} ${what}  ${mb(p.bytes)} / ${mb(p.totalBytes)} (${pct}%)`;
}

export function ttyProgress(stream: NodeJS.WriteStream): ProgressFn | undefined {
  if (!stream.isTTY) return undefined;
  let last = 0;
  return (p) => {
    const now = Date.now();
    // A redraw per chunk would cost more than the import; 10 per second is plenty.
    if (p.state === 'unpacking' && now - last < 100) return;
    last = now;
    stream.write(`\r\x1b[K${formatProgress(p)}${p.state === 'done' && p.layer === p.layers ? '\n' : ''}`);
  };
}
