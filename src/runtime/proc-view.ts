import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { TsmError } from '../errors.js';
import type { LxcfsMode } from '../config/lxcfs.js';
import type { BindMount } from '../kernel/types.js';
import { LXCFS_DIR, RUN_DIR } from '../paths.js';
import { sleep } from '../sleep.js';
import { readJson, writeFileAtomic } from '../state/files.js';

/**
 * The container's view of /proc through lxcfs: a FUSE daemon (Debian's
 * lxcfs.service mounts it on /var/lib/lxcfs) that answers reads of
 * /proc/meminfo, cpuinfo, stat, uptime... with numbers for the reader's
 * cgroup (MemoryMax, AllowedCPUs, its pid namespace's start). Its files are
 * bound read-only over the container's, among the other binds the init stage
 * makes while it builds the root filesystem. lxcfs reads the cgroup at every
 * read, so `update --memory` shows at once, and `exec`'d processes, which join
 * the container's mount namespace, see the same files.
 */

/** The /proc files lxcfs 5.0 serves that we bind; a newer lxcfs's extra files are not bound unasked. */
export const LXCFS_PROC_FILES: readonly string[] = ['meminfo', 'cpuinfo', 'stat', 'uptime', 'loadavg', 'diskstats', 'swaps', 'slabinfo'];

/**
 * Only `online` of lxcfs's /sys/devices/system/cpu: the rest of that
 * directory is the host's sysfs passed through the daemon (cpuN, cpufreq,
 * vulnerabilities), and bound whole, all of it would die with a restarted
 * daemon. `online` is what glibc's sysconf(_SC_NPROCESSORS_ONLN) reads.
 */
export const LXCFS_CPU_ONLINE = 'sys/devices/system/cpu/online';

/** What one look at the lxcfs mount found: the names in its proc/, and whether it serves cpu/online. */
export interface LxcfsListing {
  proc: readonly string[];
  cpuOnline: boolean;
}

/**
 * The read-only binds for a listing of lxcfs's mount. Pure. `hostHas` says
 * whether a path exists on the host (the container's /proc and /sys are the
 * same kernel's): a target that does not exist could not be bound over, and
 * the init stage would fail trying to create it (procfs and sysfs refuse).
 */
export function procViewBinds(dir: string, listing: LxcfsListing, hostHas: (path: string) => boolean): BindMount[] {
  const binds: BindMount[] = [];
  for (const f of LXCFS_PROC_FILES) {
    if (listing.proc.includes(f) && hostHas(`/proc/${f}`)) binds.push({ source: `${dir}/proc/${f}`, target: `/proc/${f}`, readonly: true });
  }
  if (listing.cpuOnline && hostHas(`/${LXCFS_CPU_ONLINE}`)) binds.push({ source: `${dir}/${LXCFS_CPU_ONLINE}`, target: `/${LXCFS_CPU_ONLINE}`, readonly: true });
  return binds;
}

/**
 * Looks into the lxcfs mount: null when nothing answers there (lxcfs
 * stopped, so the directory is empty; or its mount is dead). existsSync
 * first: it answers false without building a Node exception. Each call is a
 * few requests to the daemon (lookup, opendir, readdir, the lookups of
 * sys/devices/system/cpu/online), which in the emulated test VM added up to
 * more than the rest of the view's cost: procViewFor caches what it found.
 */
export function probeLxcfs(dir: string = LXCFS_DIR): LxcfsListing | null {
  if (!existsSync(`${dir}/proc`)) return null;
  let proc: string[];
  try {
    proc = readdirSync(`${dir}/proc`);
  } catch {
    return null;
  }
  if (proc.length === 0) return null;
  return { proc, cpuOnline: existsSync(`${dir}/${LXCFS_CPU_ONLINE}`) };
}

/**
 * Which lxcfs mount sits on `dir`, from /proc/self/mountinfo text: "ID
 * MAJ:MIN" of the topmost fuse.lxcfs mount there, or null when there is none.
 * Pure. A restarted lxcfs mounts anew: the key of the cached listing. (The
 * kernel may hand a freed id and device number out again; the listing of the
 * same lxcfs is the same, and a newer one only adds files.)
 */
export function lxcfsMountKey(mountinfo: string, dir: string): string | null {
  let key: string | null = null;
  for (const line of mountinfo.split('\n')) {
    const f = line.split(' ');
    if (f[4] !== dir) continue;
    const sep = f.indexOf('-', 6);
    if (sep < 0) continue;
    const fstype = f[sep + 1] ?? '';
    if (fstype === 'fuse.lxcfs' || (fstype.startsWith('fuse') && f[sep + 2] === 'lxcfs')) key = `${f[0]} ${f[2]}`;
  }
  return key;
}

export class ProcViewError extends TsmError {
  readonly module = 'host';
}

export interface ProcView {
  binds: BindMount[];
  /** The binds are there: recorded in runtime.json, `procView` in status. */
  active: boolean;
}

/**
 * lxcfs.service is Type=simple: systemd calls it started when it has forked,
 * before its FUSE mount is up, so a tsmachine@.service ordered after it at
 * boot can look too early. With --lxcfs yes we look a few more times before
 * refusing; auto takes the first answer (the container then runs without
 * the view, and status says so).
 */
const YES_RETRIES = 10;
const YES_RETRY_INTERVAL = 100;

/** Where the host is looked at; tests pass their own. */
export interface ProcViewHost {
  dir: string;
  mountinfo(): string;
  /** The last listing, with the mount key it was taken for; null when none. */
  readCache(): { key: string; listing: LxcfsListing } | null;
  writeCache(c: { key: string; listing: LxcfsListing }): void;
}

// A leading dot: no container name starts with one, so no container's run directory can take this name.
const CACHE = `${RUN_DIR}/.lxcfs-view.json`;

export const realHost: ProcViewHost = {
  dir: LXCFS_DIR,
  mountinfo: () => readFileSync('/proc/self/mountinfo', 'utf8'),
  readCache: () => {
    try { return readJson<{ key: string; listing: LxcfsListing }>(CACHE); } catch { return null; }
  },
  // Only a shortcut: the next start looks again when it cannot be written.
  writeCache: (c) => { try { writeFileAtomic(CACHE, JSON.stringify(c), 0o644, false); } catch { /* next time */ } },
};

/**
 * The bind list for the lxcfs mounted now, or null when there is none. The
 * mount table says whether lxcfs is mounted (no request to the daemon); the
 * listing is taken once per lxcfs mount and kept under /run, keyed by it.
 * The binds are made from the listing each time, so a cache file can only
 * ever name the known files under the lxcfs directory.
 */
function currentBinds(host: ProcViewHost): BindMount[] | null {
  const key = lxcfsMountKey(host.mountinfo(), host.dir);
  if (key === null) return null;
  const cached = host.readCache();
  let listing: LxcfsListing | null;
  if (cached && cached.key === key && Array.isArray(cached.listing?.proc)) {
    listing = { proc: cached.listing.proc.filter((p) => typeof p === 'string'), cpuOnline: cached.listing.cpuOnline === true };
  } else {
    listing = probeLxcfs(host.dir);
    if (listing === null) return null;
    host.writeCache({ key, listing });
  }
  return procViewBinds(host.dir, listing, existsSync);
}

/** The binds for a container started now, by its mode. Throws ProcViewError for `yes` when lxcfs is not there. */
export async function procViewFor(mode: LxcfsMode, host: ProcViewHost = realHost): Promise<ProcView> {
  if (mode === 'no') return { binds: [], active: false };
  let binds = currentBinds(host);
  for (let i = 0; binds === null && mode === 'yes' && i < YES_RETRIES; i++) {
    await sleep(YES_RETRY_INTERVAL);
    binds = currentBinds(host);
  }
  if (binds === null || binds.length === 0) {
    if (mode === 'yes') throw new ProcViewError(`lxcfs is not running (nothing mounted on ${host.dir}), which --lxcfs yes requires: systemctl enable --now lxcfs`);
    return { binds: [], active: false };
  }
  return { binds, active: true };
}

/**
 * Whether a running container's view still answers. A restart of lxcfs
 * (rather than `systemctl reload lxcfs`, which reloads its liblxcfs in place)
 * leaves the container's binds on the dead FUSE connection: every read and
 * stat of them fails with ENOTCONN until the container restarts. Looked at
 * through /proc/PID/root, so the file is the one the container has bound.
 * null: it answers; otherwise what is wrong, as a phrase.
 */
export function procViewProblem(initPid: number): string | null {
  try {
    statSync(`/proc/${initPid}/root/proc/meminfo`);
    return null;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'ENOTCONN')
      return "lost (ENOTCONN): lxcfs was restarted after the container started; restart the container (next time use 'systemctl reload lxcfs', which keeps the mounts)";
    if (code === 'ENOENT' || code === 'ESRCH') return null; // the container exited meanwhile
    return `not answering (${code})`;
  }
}
