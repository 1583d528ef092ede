import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic as writeAtomic } from '../basic/atomic-file.js';
import { StateError } from './errors.js';
import { readTextIfPresent } from '../quiet-fs.js';

/**
 * basic/atomic-file.ts's write, making the directory first. fsync before
 * rename (unless `durable` is false): the spec must survive a power cut once
 * `start` has said it exists.
 */
export function writeFileAtomic(path: string, data: string, mode = 0o644, durable = true): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeAtomic(path, data, { mode, durable });
  } catch (e) {
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
