import { closeSync, constants, fchownSync, lchownSync, lstatSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { RootfsError } from './errors.js';
import { unlinkIfPresent } from '../quiet-fs.js';

/**
 * Writes /etc/hostname, /etc/hosts and /etc/resolv.conf into the container's
 * upper dir before the overlay is mounted (the container is parked, so
 * nothing inside it runs). The upper dir holds whatever the container wrote
 * last time, so never follow a symlink there: a container that made
 * /etc/hosts point at /etc/shadow would otherwise get the host's file
 * overwritten, and a hard link to a bind-mounted host file would be
 * truncated. So: unlink whatever is there, then create afresh with O_EXCL.
 */
export function writeEtcFiles(upperdir: string, files: Record<string, string>, owner?: { uid: number; gid: number }): void {
  const etc = join(upperdir, 'etc');
  try {
    mkdirSync(etc, { recursive: true, mode: 0o755 });
  } catch (e) {
    throw new RootfsError(`cannot create ${etc}: ${(e as Error).message}`, etc, { cause: e });
  }
  const st = lstatSync(etc);
  if (!st.isDirectory()) throw new RootfsError(`${etc} is not a directory (the container replaced /etc with a ${st.isSymbolicLink() ? 'symlink' : 'file'})`, etc);
  // --private-users: the container's root owns its /etc (an upper dir's attributes win in the merge).
  if (owner) lchownSync(etc, owner.uid, owner.gid);
  for (const [name, content] of Object.entries(files)) {
    const path = join(etc, name);
    let fd: number;
    try {
      unlinkIfPresent(path);
      fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ELOOP' ? 'it is a symlink' : (e as Error).message;
      throw new RootfsError(`cannot write ${path}: ${why}`, path, { cause: e });
    }
    try {
      writeSync(fd, content);
      if (owner) fchownSync(fd, owner.uid, owner.gid);
    } finally {
      closeSync(fd);
    }
  }
}
