import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../basic/atomic-file.js';
import { readTextIfPresent } from '../../quiet-fs.js';
import type { OciHookPlan } from '../../kernel/oci-types.js';
import { NoSuchContainerError, OciRuntimeError } from './errors.js';
import { UsageError } from '../../errors.js';

/** runc's default is /run/runc, crun's /run/crun: ours beside them. */
export const DEFAULT_OCI_ROOT = '/run/tsmachine-oci';

/**
 * What tsmachine-oci keeps of a container between its verbs, in
 * ROOT/ID/record.json (written atomically). Liveness is never stored: it is
 * read from the kernel (the init's PID and start time) each time.
 */
export interface OciRecord {
  ociVersion: string;
  id: string;
  /** Absolute bundle path (state's `bundle`). */
  bundle: string;
  rootfs: string;
  annotations: Record<string, string>;
  /** 'creating' until create finished; then 'created', and 'started' once start released init. */
  phase: 'creating' | 'created' | 'started';
  /** The create that wrote a 'creating' record, so a crashed one can be told from one in progress. */
  creator: { pid: number; startTime: number };
  /** The container's init (host PID) and its start time: a reused PID is not ours. 0 until known. */
  pid: number;
  pidStartTime: number;
  unit: string;
  slice: string;
  /** The machined name, once registered. */
  machine: string | null;
  created: string;
  poststart: OciHookPlan[];
  poststop: OciHookPlan[];
  /** The process plan exec defaults to (args aside), without the seccomp program (seccomp.bpf beside). */
  process: unknown;
}

/** runc's rule for IDs: they name a directory and a unit. */
const ID = /^[\w+\-.]+$/;

export function checkId(id: string): string {
  if (!ID.test(id) || id === '.' || id === '..' || id.length > 1024) throw new UsageError(`'${id}' is not a valid container ID (letters, digits, _ + - .)`);
  return id;
}

export class OciStore {
  constructor(readonly root: string = DEFAULT_OCI_ROOT) {}

  dir(id: string): string {
    return join(this.root, checkId(id));
  }
  fifo(id: string): string {
    return join(this.dir(id), 'exec.fifo');
  }
  stateFile(id: string): string {
    return join(this.dir(id), 'state.json');
  }
  seccompFile(id: string): string {
    return join(this.dir(id), 'seccomp.bpf');
  }
  lockFile(id: string): string {
    return join(this.dir(id), 'lock');
  }

  /**
   * What the native front end (native/frontend/tsm-oci.c) needs for `start`,
   * `kill` and the delete of a stopped container without starting Node:
   * key=value lines, written once create has succeeded. Anything else it
   * leaves to this program.
   */
  writeFast(id: string, f: { pid: number; start: number; cgroup: string; poststart: boolean; poststop: boolean }): void {
    const text = `pid=${f.pid}\nstart=${f.start}\ncgroup=${f.cgroup}\npoststart=${f.poststart ? 1 : 0}\npoststop=${f.poststop ? 1 : 0}\n`;
    writeFileAtomic(join(this.dir(id), 'fast'), text, { mode: 0o600, durable: false });
  }

  /**
   * Makes the container's directory with its first record in it; false when
   * the ID is taken (another create won, or a crashed one left it). The
   * directory is filled under a temporary name and renamed into place, so
   * of two concurrent creates exactly one gets it, and a directory of ours
   * never exists without a record (a loser can always tell who holds it).
   */
  claim(r: OciRecord): boolean {
    mkdirSync(this.root, { recursive: true, mode: 0o700 });
    const tmp = join(this.root, `.${checkId(r.id)}.${process.pid}.tmp`);
    mkdirSync(tmp, { mode: 0o700 });
    try {
      writeRecord(tmp, r);
      renameSync(tmp, this.dir(r.id));
      return true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
      throw e;
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }

  read(id: string): OciRecord | null {
    const text = readTextIfPresent(join(this.dir(id), 'record.json'));
    if (text === null) return null;
    try {
      return JSON.parse(text, (_k, v: unknown) => (isTaggedBigint(v) ? BigInt(v.$bigint) : v)) as OciRecord;
    } catch (e) {
      throw new OciRuntimeError(`${join(this.dir(id), 'record.json')} is not JSON: ${(e as Error).message}`, id, { cause: e });
    }
  }

  /** The record, or NoSuchContainerError (podman tells a vanished container by those words). */
  get(id: string): OciRecord {
    const r = this.read(id);
    if (r === null) throw new NoSuchContainerError(id);
    return r;
  }

  write(r: OciRecord): void {
    writeRecord(this.dir(r.id), r);
  }

  /** The directory exists (a record may not: a create killed before writing one). */
  exists(id: string): boolean {
    return readTextIfPresent(join(this.dir(id), 'record.json')) !== null || listDir(this.root).includes(id);
  }

  remove(id: string): void {
    rmSync(this.dir(id), { recursive: true, force: true });
  }

  ids(): string[] {
    return listDir(this.root).filter((n) => ID.test(n) && !n.startsWith('.'));
  }
}

function writeRecord(dir: string, r: OciRecord): void {
  // The process plan's capability masks and rlimits are bigints, which JSON has no word for.
  const text = JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? { $bigint: v.toString() } : v));
  writeFileAtomic(join(dir, 'record.json'), `${text}\n`, { mode: 0o600, durable: false });
}

function isTaggedBigint(v: unknown): v is { $bigint: string } {
  return typeof v === 'object' && v !== null && typeof (v as { $bigint?: unknown }).$bigint === 'string' && Object.keys(v).length === 1;
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
