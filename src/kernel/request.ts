import { MONITOR_BIN } from '../paths.js';
import { Records, absolute, invalid } from './records.js';
import type { ExecRequest, SeccompProfile, SpawnRequest, StdioPlan } from './types.js';
import { DEFAULT_CAPABILITIES, capabilityMask } from './caps.js';

/** tsmachine's own requests as records (records.ts) for native/src/request.c; repeated keys: lower, argv, env, bind_*. */

/** overlay's option string has no escaping for these in lowerdir/upperdir/workdir. */
function overlayPath(what: string, p: string): string {
  absolute(what, p);
  if (/[,:\\]/.test(p)) throw invalid(`${what} may not contain , : or \\`, p);
  return p;
}

function addCommand(r: Records, argv: string[], env: string[], cwd: string, user: string | undefined): void {
  if (argv.length === 0 || argv[0] === '') throw invalid('argv is empty', '');
  for (const a of argv) r.add('argv', a);
  for (const e of env) {
    if (!e.includes('=')) throw invalid('env entry without =', e);
    r.add('env', e);
  }
  r.add('cwd', absolute('cwd', cwd));
  if (user !== undefined && user !== '') {
    if (/[\s]/.test(user) || user.split(':').length > 2 || user.startsWith(':')) throw invalid('user is not USER[:GROUP]', user);
    r.add('user', user);
  }
}

function windowSize(what: string, n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw invalid(`pty ${what} must be 0..65535`, String(n));
  return String(n);
}

function fdNumber(what: string, n: number): string {
  if (!Number.isInteger(n) || n < 0) throw invalid(`${what} is not a file descriptor`, String(n));
  return String(n);
}

/** stdio=… and its details; journal only for spawn (exec's caller rejects it earlier). */
function addStdio(r: Records, stdio: StdioPlan): void {
  r.add('stdio', stdio.kind);
  if (stdio.kind === 'journal') {
    if (stdio.identifier.includes('\n')) throw invalid('journal identifier contains a newline', '');
    r.add('ident', stdio.identifier);
    if (stdio.unit !== undefined) {
      if (stdio.unit.includes('\n')) throw invalid('journal unit contains a newline', '');
      r.add('unit', stdio.unit);
    }
  } else if (stdio.kind === 'fds') {
    r.add('fd0', fdNumber('stdin', stdio.stdin));
    r.add('fd1', fdNumber('stdout', stdio.stdout));
    r.add('fd2', fdNumber('stderr', stdio.stderr));
  } else if (stdio.kind === 'pty') {
    r.add('rows', windowSize('rows', stdio.rows));
    r.add('cols', windowSize('cols', stdio.cols));
  }
}

const U64_MAX = (1n << 64n) - 1n;

/** seccomp=1|0, nnp=1|0 and caps=HEX (the kept capabilities); the stage's defaults when absent are 1, 0 and none. */
function addConfinement(r: Records, c: { seccomp?: SeccompProfile; noNewPrivileges?: boolean; capabilities?: bigint }): void {
  const profile: string = c.seccomp ?? 'default';
  if (profile !== 'default' && profile !== 'unconfined') throw invalid('seccomp is not default or unconfined', profile);
  r.add('seccomp', profile === 'default' ? '1' : '0');
  r.add('nnp', c.noNewPrivileges === true ? '1' : '0');
  const caps = c.capabilities ?? capabilityMask(DEFAULT_CAPABILITIES);
  if (typeof caps !== 'bigint' || caps < 0n || caps > U64_MAX) throw invalid('capabilities is not a 64-bit mask', String(caps));
  r.add('caps', caps.toString(16));
}

export function encodeSpawn(req: SpawnRequest, monitor: string = MONITOR_BIN): Buffer {
  const r = new Records();
  r.add('name', req.name);
  r.add('hostname', req.hostname);
  if (req.rootfs.lowerdirs.length === 0) throw invalid('rootfs has no layers', req.rootfs.mountpoint);
  for (const l of req.rootfs.lowerdirs) r.add('lower', overlayPath('lowerdir', l));
  r.add('upper', overlayPath('upperdir', req.rootfs.upperdir));
  r.add('work', overlayPath('workdir', req.rootfs.workdir));
  r.add('mnt', absolute('mountpoint', req.rootfs.mountpoint));
  for (const b of req.binds) {
    r.add('bind_src', absolute('bind source', b.source));
    r.add('bind_dst', absolute('bind target', b.target));
    r.add('bind_ro', b.readonly ? '1' : '0');
  }
  addCommand(r, req.argv, req.env, req.cwd, req.user);
  if (req.userns) {
    const { base, size } = req.userns;
    if (!Number.isInteger(base) || !Number.isInteger(size) || base < 1 || size < 1 || base + size > 2 ** 31)
      throw invalid('userns range must be 1 <= base, 1 <= size, base + size <= 2^31', `${base}:${size}`);
    r.add('userns_base', String(base));
    r.add('userns_size', String(size));
  }
  r.add('hostnet', req.shareHostNetwork ? '1' : '0');
  r.add('mask', req.maskPaths === false ? '0' : '1');
  if (req.shmSize !== undefined) {
    if (!Number.isSafeInteger(req.shmSize) || req.shmSize < 1) throw invalid('shmSize must be a positive number of bytes', String(req.shmSize));
    r.add('shm_size', String(req.shmSize));
  }
  addConfinement(r, req);
  addStdio(r, req.stdio);
  r.add('exit', absolute('exitFile', req.exitFile));
  r.add('monitor', monitor);
  return r.buffer();
}

export function encodeExec(req: ExecRequest): Buffer {
  if (!Number.isInteger(req.leaderPid) || req.leaderPid <= 0) throw invalid('leaderPid', String(req.leaderPid));
  const r = new Records();
  r.add('leader', String(req.leaderPid));
  addCommand(r, req.argv, req.env, req.cwd, req.user);
  addConfinement(r, req);
  const stdio = (req.stdio ?? { kind: 'inherit' }) as StdioPlan; // JS callers are not type-checked
  if (stdio.kind === 'journal') throw invalid('exec cannot log to the journal', '');
  addStdio(r, stdio);
  return r.buffer();
}
