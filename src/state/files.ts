import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { StateError } from './errors.js';
import { readTextIfPresent } from '../quiet-fs.js';

/**
 * Write-then-rename, so a reader (or a crash) sees the old file or the new
 * one, never half of one. fsync before rename (unless `durable` is false):
 * the spec must survive a power cut once `start` has said it exists.
 */
export function writeFileAtomic(path: string, data: string, mode = 0o644, durable = true): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    const fd = openSync(tmp, 'w', mode);
    try {
      writeSync(fd, data);
      if (durable) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* never created */ }
    throw new StateError(`cannot write ${path}: ${(e as Error).message}`, path, { cause: e });
  }
}

/** Parsed JSON, or null when the file does not exist. A corrupt file is an error naming it. */
export function readJson<T>(path: string): T | null {
  let text: string | null;
  try {
    text = readTextIfPresent(path);
  } catch (e) {
    throw new StateError(`cannot read ${path}: ${(e as Error).message}`, path, { cause: e });
  }
  if (text === null) return null;
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new StateError(`${path} is corrupt: ${(e as Error).message}`, path, { cause: e });
  }
}
