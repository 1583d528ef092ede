import { getSystemErrorMap } from 'node:util';
import { os } from '../builtins.js';
import { TsmError } from '../errors.js';
import { EINVAL, ENOENT } from './errno.js';

/** errno → [name, message], from libuv's table (no FFI needed to describe an error). */
let errnoTable: Map<number, [string, string]> | null = null;

/** glibc's text for the errnos libuv has no entry for (those the stages can meet). */
const EXTRA: Record<string, string> = {
  ECHILD: 'No child processes', ENOEXEC: 'Exec format error', EDQUOT: 'Disk quota exceeded',
  ESTALE: 'Stale file handle', EINPROGRESS: 'Operation now in progress', ENOLCK: 'No locks available',
  EDEADLK: 'Resource deadlock avoided', EBADMSG: 'Bad message', EIDRM: 'Identifier removed',
  ENOLINK: 'Link has been severed', EMULTIHOP: 'Multihop attempted', ENETRESET: 'Network dropped connection on reset',
};

function lookup(errno: number): [string, string] | undefined {
  errnoTable ??= getSystemErrorMap();
  const hit = errnoTable.get(-errno);
  if (hit) return hit;
  // only for an errno libuv has no name for: an error path, where node:os may load
  const name = Object.entries(os().constants.errno).find(([, v]) => v === errno)?.[0];
  return name ? [name, EXTRA[name] ?? name] : undefined;
}

export function errnoName(errno: number): string {
  return lookup(errno)?.[0] ?? `errno ${errno}`;
}

/** strerror-like text: libuv says "no such file or directory", glibc capitalises. */
export function errnoMessage(errno: number): string {
  const text = lookup(errno)?.[1] ?? 'Unknown error';
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export interface KernelFailure {
  /** Which native stage failed: parent, child, init, exec (or "kernel" for the TS wrappers). */
  stage: string;
  syscall: string;
  /** Which instance of the syscall: "overlay", "proc", "journal", ... ('' when obvious). */
  what: string;
  errno: number;
  /** The path involved, '' when none. Inside the container after pivot_root. */
  path: string;
}

/**
 * A syscall failed in the native stage or a kernel utility, e.g.
 * `init: mount overlay on /var/lib/... failed: EINVAL (Invalid argument)`.
 */
export class KernelError extends TsmError {
  readonly module = 'kernel';
  readonly stage: string;
  readonly syscall: string;
  readonly what: string;
  readonly errno: number;
  /** Symbolic errno, e.g. ENOENT. */
  readonly errnoName: string;
  readonly path: string;

  constructor(f: KernelFailure) {
    super(describe(f));
    this.stage = f.stage;
    this.syscall = f.syscall;
    this.what = f.what;
    this.errno = f.errno;
    this.errnoName = errnoName(f.errno);
    this.path = f.path;
  }
}

function describe(f: KernelFailure): string {
  // user.c's name lookups: "init: no user 'bob' in /etc/passwd"
  if (f.syscall === 'lookup' && f.errno === ENOENT) return `${f.stage}: no ${f.what} in ${f.path}`;
  // user.c refuses a FIFO or device there: the container owns the file
  if (f.syscall === 'lookup' && f.errno === EINVAL) return `${f.stage}: ${f.path} is not a regular file`;
  // userns.c: the layer's file system (or kernel) cannot do idmapped mounts
  if (f.syscall === 'mount_setattr' && f.errno === EINVAL)
    return `${f.stage}: --private-users needs idmapped mounts, which the file system of ${f.path} does not support (Linux 5.12+: ext4, xfs, btrfs, tmpfs 6.3+)`;
  let op = f.syscall;
  if (f.what) op += ` ${f.what}`;
  if (f.path) op += f.what ? ` on ${f.path}` : ` ${f.path}`;
  const msg = `${f.stage}: ${op} failed: ${errnoName(f.errno)} (${errnoMessage(f.errno)})`;
  // A kernel built without CONFIG_SECCOMP_FILTER: say how to run anyway.
  if (f.what === 'PR_SET_SECCOMP' && f.errno === EINVAL) return `${msg}: this kernel has no seccomp filters (--seccomp unconfined runs without)`;
  return msg;
}
