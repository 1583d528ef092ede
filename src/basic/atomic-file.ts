import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Write-then-rename, so a reader (or a crash) sees the old file or the new
 * one, never half of one. The temporary file sits beside `path` (rename is
 * atomic only within one file system) as `.NAME.PID.tmp`: hidden, so a
 * listing of the directory (image records) skips a write in progress, and
 * per process, so two writers never share one. `durable` (the default)
 * fsyncs before the rename: what a command reported done must survive a
 * power cut. The directory must exist; a failed write removes its
 * temporary file and throws Node's error.
 */
export function writeFileAtomic(path: string, data: string, options: { mode?: number; durable?: boolean } = {}): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    const fd = openSync(tmp, 'w', options.mode ?? 0o644);
    try {
      writeSync(fd, data);
      if (options.durable ?? true) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* never created */ }
    throw e;
  }
}
