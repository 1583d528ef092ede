import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerSpec } from '../config/spec.js';
import type { IdRange } from '../config/userns.js';
import type { StoredImage } from '../image/index.js';
import { RUN_DIR, STATE_DIR } from '../paths.js';
import { readJson, writeFileAtomic } from './files.js';
import { unlinkIfPresent } from '../quiet-fs.js';

/**
 * Where one container's state lives:
 *   STATE_DIR/containers/NAME/   spec.json (persistent), upper/, work/, rootfs/ (overlay mountpoint)
 *   RUN_DIR/NAME/                runtime.json (what runs now), exit (written by the native monitor)
 * The split follows nspawn/machined: what survives a reboot vs. what describes
 * processes that a reboot ends.
 */
export interface StoredSpec {
  spec: ContainerSpec;
  /** ISO time the container was created. */
  created: string;
  /** Resolved image id at creation (digest or directory id). */
  imageId: string;
  /** --private-users: the host id range reserved at creation, reused by every start. */
  userns?: IdRange;
  /**
   * Layer-store images: the layers and config the container stands on, so
   * it starts from them again after `rmi --force` and prune keeps them.
   * Absent for built-in and /var/lib/machines images, and in specs written
   * before it existed (those fall back to imageId, then to the name).
   */
  image?: StoredImage;
}

/** What is running now; absent when the container is stopped. */
export interface RuntimeState {
  unit: string;
  initPid: number;
  /** /proc/PID/stat start time of init: guards against PID reuse after a crash. */
  initStartTime: number;
  monitorPid: number;
  startedAt: string;
  addresses: string[];
  /** How the payload was started: detached (journal) or foreground run. */
  mode: 'detached' | 'foreground' | 'service';
  /** lxcfs's /proc files are bound over the container's (runtime/proc-view.ts). Absent in state written before it existed: false. */
  procView?: boolean;
}

export const containersDir = (): string => join(STATE_DIR, 'containers');
export const containerDir = (name: string): string => join(STATE_DIR, 'containers', name);
export const runDir = (name: string): string => join(RUN_DIR, name);
export const locksDir = (): string => join(RUN_DIR, 'locks');

export type ContainerPaths = Readonly<ReturnType<typeof pathsOf>>;

function pathsOf(name: string) {
  // Plain concatenation below a joined base: the name is one path component
  // (validated before it gets here), and path.join's normalisation of ten
  // paths per call showed up in profiles of a start.
  const dir = containerDir(name);
  const run = runDir(name);
  return {
    dir,
    spec: `${dir}/spec.json`,
    upper: `${dir}/upper`,
    work: `${dir}/work`,
    rootfs: `${dir}/rootfs`,
    run,
    runtime: `${run}/runtime.json`,
    exit: `${run}/exit`,
    lastExit: `${dir}/last-exit`,
    lock: `${locksDir()}/${name}.lock`,
  };
}

const known = new Map<string, ContainerPaths>();

/** The files and directories of one container (the same object for every call with a name). */
export function containerPaths(name: string): ContainerPaths {
  let p = known.get(name);
  if (!p) known.set(name, (p = Object.freeze(pathsOf(name))));
  return p;
}

export function readStoredSpec(name: string): StoredSpec | null {
  return readJson<StoredSpec>(containerPaths(name).spec);
}

/** `durable: false` for a spec that dies with its run (run --rm): no fsync to wait for. */
export function writeStoredSpec(name: string, s: StoredSpec, opts: { durable?: boolean } = {}): void {
  writeFileAtomic(containerPaths(name).spec, JSON.stringify(s, null, 2) + '\n', 0o644, opts.durable ?? true);
}

export function readRuntime(name: string): RuntimeState | null {
  return readJson<RuntimeState>(containerPaths(name).runtime);
}

export function writeRuntime(name: string, r: RuntimeState): void {
  // Under /run: gone at reboot anyway, so nothing to make durable.
  writeFileAtomic(containerPaths(name).runtime, JSON.stringify(r, null, 2) + '\n', 0o644, false);
}

export function removeRuntime(name: string): void {
  unlinkIfPresent(containerPaths(name).runtime);
}

/** The payload's exit status as recorded by the monitor (or by stop after SIGKILL), if known. */
export function readExitCode(name: string): number | null {
  const p = containerPaths(name);
  for (const f of [p.exit, p.lastExit]) {
    if (!existsSync(f)) continue;
    const n = Number(readFileSync(f, 'utf8').trim());
    if (Number.isInteger(n)) return n;
  }
  return null;
}

export function listContainerNames(): string[] {
  if (!existsSync(containersDir())) return [];
  return readdirSync(containersDir(), { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(containersDir(), d.name, 'spec.json')))
    .map((d) => d.name)
    .sort();
}
