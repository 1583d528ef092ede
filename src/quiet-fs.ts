import { existsSync, lstatSync, readFileSync, unlinkSync } from 'node:fs';

/*
 * File operations for which "not there" is an answer, not an error. They ask
 * first rather than catch ENOENT: Node builds an exception (message, stack)
 * for every failed call, and in a profile of `run --rm` in the test VM those
 * exceptions from settings, state and resolv.conf lookups cost more than the
 * calls themselves. A file that vanishes between the two steps still comes
 * out as absent.
 */

const absent = (e: unknown): boolean => {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
};

/** read(path), or null when there is no such file (asked first, as above). Other errors throw. */
function ifPresent<T>(path: string, read: (path: string) => T): T | null {
  if (!existsSync(path)) return null;
  try {
    return read(path);
  } catch (e) {
    if (absent(e)) return null;
    throw e;
  }
}

/** The file's bytes, or null when there is no such file. Other errors throw. */
export function readIfPresent(path: string): Buffer | null {
  return ifPresent(path, (p) => readFileSync(p));
}

/**
 * The file as UTF-8 text, or null when there is no such file. Read as text
 * directly: Node does that in C++, where bytes then Buffer#toString run
 * Node's JavaScript, compiled on first use in every short-lived command.
 */
export function readTextIfPresent(path: string): string | null {
  return ifPresent(path, (p) => readFileSync(p, 'utf8'));
}

/** Removes a file or symlink (never follows it); true if one was there. A directory throws (EISDIR). */
export function unlinkIfPresent(path: string): boolean {
  if (!lstatSync(path, { throwIfNoEntry: false })) return false;
  try {
    unlinkSync(path);
    return true;
  } catch (e) {
    if (absent(e)) return false;
    throw e;
  }
}
