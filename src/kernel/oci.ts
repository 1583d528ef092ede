import { chmodSync } from 'node:fs';
import { failure, nativeAddon } from './addon.js';
import { KernelError } from './errors.js';
import { EINVAL } from './errno.js';
import { Records, absolute, invalid } from './records.js';
import { parkedExec } from './exec.js';
import { mknod, S_IFIFO } from './fsops.js';
import type {
  IdMap, OciCreateRequest, OciDevicePlan, OciExecRequest, OciHookPlan, OciMountPlan, OciParkedExec, OciParkedInit,
  OciProcessPlan, OciTimeOffset,
} from './oci-types.js';

/**
 * tsmachine-oci's door to the native OCI stages (native/src/oci-*.c): the
 * requests of kernel/oci-types.ts as "key=value\0" records (parsed by
 * oci-request.c before any fork; the names are /work/oci-design.md's
 * "Records"), and the parked init and exec around them. Everything reaching
 * C is checked here once more: a number out of range or a relative path is
 * a KernelError (stage parent, syscall validate), never a surprise in a
 * forked stage.
 */

const U32_MAX = 0xffffffff;
const U64_MAX = (1n << 64n) - 1n;

function integer(what: string, n: number, lo: number, hi: number): string {
  if (!Number.isInteger(n) || n < lo || n > hi) throw invalid(`${what} must be an integer in ${lo}..${hi}`, String(n));
  return String(n);
}

/** A uid or gid the kernel accepts (2^32-1 means "no id"). */
const id = (what: string, n: number): string => integer(what, n, 0, U32_MAX - 1);

function u64(what: string, n: bigint): bigint {
  if (typeof n !== 'bigint' || n < 0n || n > U64_MAX) throw invalid(`${what} must be a 64-bit unsigned number`, String(n));
  return n;
}

const flag = (b: boolean): string => (b ? '1' : '0');

function addIdMaps(r: Records, key: string, maps: IdMap[]): void {
  for (const m of maps) {
    const size = integer(`${key} size`, m.size, 1, U32_MAX);
    r.add(key, `${integer(`${key} containerID`, m.containerID, 0, U32_MAX - 1)} ${integer(`${key} hostID`, m.hostID, 0, U32_MAX - 1)} ${size}`);
  }
}

function timeOffset(what: string, t: OciTimeOffset): string {
  if (typeof t.secs !== 'bigint' || t.secs < -(1n << 62n) || t.secs > 1n << 62n) throw invalid(`${what} seconds out of range`, String(t.secs));
  return `${t.secs} ${integer(`${what} nanoseconds`, t.nanosecs, 0, 999_999_999)}`;
}

function addMount(r: Records, m: OciMountPlan): void {
  r.add('m_dst', absolute('mount destination', m.destination));
  if (!m.type) throw invalid('mount type is empty', m.destination);
  r.add('m_type', m.type);
  r.add('m_src', m.source);
  r.add('m_flags', integer('mount flags', m.flags, 0, U32_MAX));
  for (const p of m.propagation) r.add('m_prop', integer('mount propagation', p, 1, U32_MAX));
  if (m.data) r.add('m_data', m.data);
  if (m.recursiveReadonly) r.add('m_rro', '1');
}

function addDevice(r: Records, d: OciDevicePlan): void {
  r.add('d_path', absolute('device path', d.path));
  if (!['c', 'b', 'u', 'p'].includes(d.type)) throw invalid('device type must be c, b, u or p', String(d.type));
  r.add('d_type', d.type);
  r.add('d_major', integer('device major', d.major, 0, 0xfff));
  r.add('d_minor', integer('device minor', d.minor, 0, 0xfffff));
  r.add('d_mode', integer('device fileMode', d.fileMode, 0, 0o7777));
  r.add('d_uid', id('device uid', d.uid));
  r.add('d_gid', id('device gid', d.gid));
}

function addHook(r: Records, kind: 'cc' | 'sc', h: OciHookPlan): void {
  r.add('h_kind', kind);
  r.add('h_path', absolute('hook path', h.path));
  for (const a of h.args.length ? h.args : [h.path]) r.add('h_arg', a);
  for (const e of h.env) r.add('h_env', e);
  if (h.timeout !== undefined) r.add('h_timeout', integer('hook timeout', h.timeout, 1, 2 ** 30));
}

/** net.ipv4.ip_forward, or runc's slash form for names with dots (net/ipv4/conf/eth0.100/forwarding). */
const SYSCTL_KEY = /^[\w-]+(?:[./][\w-]+)*$/;

function addProcess(r: Records, p: OciProcessPlan): void {
  if (p.args.length === 0 || p.args[0] === '') throw invalid('process args is empty', '');
  for (const a of p.args) r.add('argv', a);
  for (const e of p.env) {
    if (!e.includes('=')) throw invalid('env entry without =', e);
    r.add('env', e);
  }
  r.add('cwd', absolute('process cwd', p.cwd));
  r.add('uid', id('process uid', p.uid));
  r.add('gid', id('process gid', p.gid));
  for (const g of p.additionalGids) r.add('gid_add', id('additionalGids', g));
  if (p.umask !== undefined) r.add('umask', integer('umask', p.umask, 0, 0o777));
  const c = p.capabilities;
  r.add('cap_b', u64('bounding capabilities', c.bounding).toString(16));
  r.add('cap_e', u64('effective capabilities', c.effective).toString(16));
  r.add('cap_i', u64('inheritable capabilities', c.inheritable).toString(16));
  r.add('cap_p', u64('permitted capabilities', c.permitted).toString(16));
  r.add('cap_a', u64('ambient capabilities', c.ambient).toString(16));
  if (p.rlimits.length > 16) throw invalid('more than 16 rlimits', String(p.rlimits.length));
  for (const l of p.rlimits) {
    const soft = u64('rlimit soft', l.soft);
    const hard = u64('rlimit hard', l.hard);
    if (soft > hard) throw invalid('rlimit soft above hard', `${l.resource}`);
    r.add('rlimit', `${integer('rlimit type', l.resource, 0, 15)} ${soft} ${hard}`);
  }
  r.add('nnp', flag(p.noNewPrivileges));
  if (p.oomScoreAdj !== undefined) r.add('oom', integer('oomScoreAdj', p.oomScoreAdj, -1000, 1000));
  if (p.apparmorProfile) {
    if (/\s/.test(p.apparmorProfile)) throw invalid('apparmorProfile contains a space', p.apparmorProfile);
    r.add('apparmor', p.apparmorProfile);
  }
  if (p.seccomp) {
    const prog = p.seccomp.program;
    if (!(prog instanceof Uint8Array) || prog.length === 0 || prog.length % 8 !== 0 || prog.length > 4096 * 8)
      throw invalid('seccomp program must be 1..4096 instructions of 8 bytes', String(prog?.length));
    r.add('seccomp_bpf', Buffer.from(prog.buffer, prog.byteOffset, prog.byteLength).toString('hex'));
    r.add('seccomp_flags', integer('seccomp flags', p.seccomp.flags, 0, U32_MAX));
  }
  r.add('terminal', flag(p.terminal));
  if (p.consoleSize) {
    r.add('rows', integer('consoleSize height', p.consoleSize.rows, 0, 0xffff));
    r.add('cols', integer('consoleSize width', p.consoleSize.cols, 0, 0xffff));
  }
}

function addFds(r: Records, consoleFd: number | undefined, preserveFds: number): void {
  if (consoleFd !== undefined) r.add('console_fd', integer('consoleFd', consoleFd, 0, 2 ** 30));
  r.add('preserve_fds', integer('preserveFds', preserveFds, 0, 2 ** 20));
}

export function encodeOciCreate(req: OciCreateRequest): Buffer {
  const r = new Records();
  r.add('id', req.id);
  r.add('rootfs', absolute('rootfs', req.rootfs));
  r.add('root_ro', flag(req.readonlyRoot));
  const seen = new Set<string>();
  for (const ns of req.namespaces) {
    if (seen.has(ns.type)) throw invalid('namespace listed twice', ns.type);
    seen.add(ns.type);
    if (!['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup', 'time'].includes(ns.type)) throw invalid('unknown namespace type', ns.type);
    if (ns.path !== undefined) r.add('ns_path', `${ns.type}:${absolute(`${ns.type} namespace path`, ns.path)}`);
    else r.add('ns', ns.type);
  }
  // Without one, init's mounts and pivot_root would be the host's.
  if (!seen.has('mount')) throw invalid('a mount namespace is required', '');
  const newUser = req.namespaces.some((n) => n.type === 'user' && n.path === undefined);
  if (!newUser && (req.uidMappings.length || req.gidMappings.length)) throw invalid('uid/gid mappings need a new user namespace', '');
  addIdMaps(r, 'uid_map', req.uidMappings);
  addIdMaps(r, 'gid_map', req.gidMappings);
  if (req.timeOffsets?.monotonic || req.timeOffsets?.boottime) {
    if (!req.namespaces.some((n) => n.type === 'time' && n.path === undefined)) throw invalid('time offsets need a new time namespace', '');
    if (req.timeOffsets.monotonic) r.add('time_mono', timeOffset('monotonic offset', req.timeOffsets.monotonic));
    if (req.timeOffsets.boottime) r.add('time_boot', timeOffset('boottime offset', req.timeOffsets.boottime));
  }
  if (req.hostname !== undefined) r.add('hostname', req.hostname);
  if (req.domainname !== undefined) r.add('domainname', req.domainname);
  for (const m of req.mounts) addMount(r, m);
  for (const d of req.devices) addDevice(r, d);
  for (const p of req.maskedPaths) r.add('masked', absolute('maskedPaths entry', p));
  for (const p of req.readonlyPaths) r.add('ro_path', absolute('readonlyPaths entry', p));
  for (const [key, value] of req.sysctl) {
    if (!SYSCTL_KEY.test(key)) throw invalid('sysctl key', key);
    r.add('sysctl', `${key}=${value}`);
  }
  r.add('root_prop', integer('rootfsPropagation', req.rootfsPropagation, 0, U32_MAX));
  if (req.noPivot) r.add('no_pivot', '1');
  for (const h of req.createContainerHooks) addHook(r, 'cc', h);
  for (const h of req.startContainerHooks) addHook(r, 'sc', h);
  r.add('fifo', absolute('fifoPath', req.fifoPath));
  r.add('state_file', absolute('stateFile', req.stateFile));
  addFds(r, req.consoleFd, req.preserveFds);
  addProcess(r, req.process);
  return r.buffer();
}

export function encodeOciExec(req: OciExecRequest): Buffer {
  const r = new Records();
  r.add('leader', integer('leaderPid', req.leaderPid, 1, 2 ** 30));
  addFds(r, req.consoleFd, req.preserveFds);
  r.add('detach', flag(req.detach));
  addProcess(r, req.process);
  return r.buffer();
}

/**
 * Clones the container's init into its namespaces, parked before anything is
 * mounted: its PID is for the scope and machined. Synchronous (it forks).
 * No process of ours stays: the stage that cloned init has exited, so init's
 * parent is the caller's subreaper, or PID 1.
 */
export function ociSpawn(req: OciCreateRequest): OciParkedInit {
  const lib = nativeAddon();
  const out = lib.ociSpawn(encodeOciCreate(req));
  if (out.rc !== 0) throw failure(out);
  const initPid = out.pid;
  let syncFd = out.syncFd;
  // init's pidfd: kills never hit a reused PID. Kept after finish() for abort().
  let pidFd = out.ptyFd;
  let gone = false;
  return {
    initPid,
    finish(): void {
      if (syncFd < 0) throw new Error('init already finished or aborted');
      const fd = syncFd;
      syncFd = -1; // the native side closes it either way
      const res = lib.ociFinish(fd, pidFd);
      if (res.rc !== 0) {
        // init reported and exited (or was killed): nothing left to abort.
        lib.ociAbort(initPid, pidFd, -1);
        pidFd = -1;
        gone = true;
        throw failure(res);
      }
    },
    abort(): void {
      if (gone) return;
      gone = true;
      lib.ociAbort(initPid, pidFd, syncFd);
      syncFd = -1;
      pidFd = -1;
    },
  };
}

/**
 * A process in the namespaces of a container's init (created or running),
 * parked until release() so the runtime can attach it to the scope first.
 */
export function ociExec(req: OciExecRequest): OciParkedExec {
  const out = nativeAddon().ociExec(encodeOciExec(req));
  if (out.rc !== 0) throw failure(out);
  return parkedExec(out, req.detach);
}

/** exec.fifo: mkfifo(2) with exactly `mode` (the umask would take o+w, which init needs after dropping to the process's uid). */
export function mkfifo(path: string, mode: number): void {
  absolute('fifo path', path);
  integer('fifo mode', mode, 0, 0o7777);
  mknod(path, S_IFIFO, mode);
  try {
    chmodSync(path, mode);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new KernelError({ stage: 'kernel', syscall: 'chmod', what: 'fifo', errno: -(err.errno ?? -EINVAL), path });
  }
}

/**
 * PR_SET_CHILD_SUBREAPER on this process: an OCI init (reparented when its
 * stage exits) becomes our child, to be waited for, instead of PID 1's. For
 * a `run`-like caller that outlives the container, and for tests.
 */
export function setChildSubreaper(on = true): void {
  const rc = nativeAddon().setChildSubreaper(on ? 1 : 0);
  if (rc < 0) throw new KernelError({ stage: 'kernel', syscall: 'prctl', what: 'PR_SET_CHILD_SUBREAPER', errno: -rc, path: '' });
}
