import { existsSync } from 'node:fs';
import { NATIVE_ADDON } from '../paths.js';
import { KernelError } from './errors.js';

/**
 * native/build/tsmachine.node, the Node-API binding of the native library
 * (native/addon/binding.c), loaded on first use so that commands which never
 * touch the kernel (--help, list, status) do not pay for it.
 *
 * Conventions: a number >= 0 is success, a negative number is -errno taken
 * right after the call; spawn/exec/release return the stage's tsm_result.
 * Argument mistakes throw TypeError.
 */

/** struct tsm_result (native/src/sync.h) plus the call's return code. */
export interface StageResult {
  rc: number;
  /** init (spawn) or the process to attach (exec). */
  pid: number;
  /** monitor (spawn) or exec stage: our direct child. */
  stagePid: number;
  syncFd: number;
  /** release(): the payload's pty master (-t), else -1. */
  ptyFd: number;
  err: number;
  stage: string;
  syscall: string;
  what: string;
  path: string;
}

export interface NftOutcome {
  ok: boolean;
  stdout: string;
  stderr: string;
}

export interface Addon {
  spawn(blob: Buffer): StageResult;
  exec(blob: Buffer): StageResult;
  /** Init's first barrier: build the root filesystem now (does not wait). 0 or -errno. */
  buildRootfs(syncFd: number): number;
  /** A failure init already reported (peeked, never waited for), or null. */
  reportedFailure(syncFd: number): StageResult | null;
  release(syncFd: number): StageResult;
  abort(initPid: number, monitorPid: number, syncFd: number): void;
  execAbort(pid: number, stagePid: number, syncFd: number): void;
  /** tsmachine-oci create (native/src/oci-spawn.c): init parked before SYNC_ROOTFS; ptyFd is its pidfd (-1 without pidfd_open), stagePid 0. */
  ociSpawn(blob: Buffer): StageResult;
  /** SYNC_ROOTFS, then rc 0 once init parked on exec.fifo; else the failure (init has exited then). Closes syncFd. */
  ociFinish(syncFd: number, pidFd: number): StageResult;
  /** Kills init (through the pidfd when >= 0) and closes both fds. */
  ociAbort(initPid: number, pidFd: number, syncFd: number): void;
  /** tsmachine-oci exec (oci-exec.c): the payload parked until release(); with detach stagePid is 0 (already reaped). */
  ociExec(blob: Buffer): StageResult;
  /** prctl(PR_SET_CHILD_SUBREAPER): orphans below us become our children. 0 or -errno. */
  setChildSubreaper(on: number): number;
  /** socketpair(AF_UNIX, SOCK_STREAM, close-on-exec): [a, b], or -errno. */
  socketpair(): [number, number] | number;
  /** Blocks for one message on fd; the fd it carried (SCM_RIGHTS), or -errno (ENOMSG: none). */
  recvFd(fd: number): number;
  /** Exit status (128+signal), or -errno; waitpid runs on a libuv pool thread. */
  wait(pid: number): Promise<number>;
  flock(fd: number, op: number): number;
  /** rm -r, not crossing mounts; 0 (also when absent) or -errno. */
  removeTree(path: string): number;
  /** _exit(2): no exit handlers, no teardown. */
  exitNow(code: number): never;
  notify(socketPath: string, state: string): number;
  setWinsize(fd: number, rows: number, cols: number): number;
  /** 1 when fd is a terminal, else 0. */
  isatty(fd: number): number;
  /** pipe2(O_CLOEXEC): [read end, write end], or -errno. */
  pipe(): [number, number] | number;
  mknod(path: string, mode: number, major: number, minor: number): number;
  lsetxattr(path: string, name: string, value: Buffer): number;
  /** The value, or -errno (ENODATA when absent). */
  lgetxattr(path: string, name: string): Buffer | number;
  /** NUL-separated names, or -errno. */
  llistxattr(path: string): Buffer | number;
  nlLinkIndex(name: string): number;
  nlBridgeAdd(name: string): number;
  /** mtu 0: the kernel's default; an empty peerMac: a random one. */
  nlVethAdd(host: string, peer: string, pid: number, mtu: number, peerMac: Uint8Array): number;
  nlL2Add(kind: string, parentIfindex: number, name: string, pid: number): number;
  nlLinkSet(ifindex: number, master: number, up: number): number;
  nlHairpin(ifindex: number, on: number): number;
  nlAddrAdd(ifindex: number, addr: number, prefix: number): number;
  nlLinkDel(name: string): number;
  /** rc 0, or -1 with the failed step (stage "netns"), as the stages report theirs. */
  nlNetnsConfigure(pid: number, ifname: string, addr: number, prefix: number, gateway: number): StageResult;
  /** null when libnftables.so.1 is not installed. */
  nftRun(commands: string, json: boolean): NftOutcome | null;
  /** The default seccomp filter as struct sock_filter[] (8 bytes each; empty on architectures without one), or -errno. */
  seccompProgram(): Buffer | number;
  /** An OCI seccomp profile (records, kernel/seccomp-compile.ts) as struct sock_filter[] bytes, or the failure (stage "parent"; syscall "dlopen" when libseccomp.so.2 is absent). */
  seccompCompile(records: Buffer): Buffer | StageResult;
  /** libseccomp.so.2's version ("2.5.4"), or null when it is not installed. */
  seccompVersion(): string | null;
  /** libseccomp's token for an SCMP_ARCH_… name: 0 when unknown, -ENOENT without libseccomp. */
  seccompArch(name: string): number;
  /** For tests: the host path PATH names with ROOT as "/" (walk: as on kernels without openat2), or -errno. */
  openInRoot(root: string, path: string, walk: boolean): string | number;
  /** For tests: ROOT's CPUDIR/cpuN+TAIL paths that exist (what the init stage masks per CPU), or -errno. */
  cpuPaths(root: string, cpudir: string, tail: string): string[] | number;
  /** A connected Unix stream socket (close-on-exec, sends time out after 30 s), or -errno. A leading NUL: abstract. */
  unixConnect(path: Uint8Array): number;
  /** 0 once all of data is sent, or -errno. */
  sendAll(fd: number, data: Uint8Array): number;
  /**
   * Reads fd on a thread of its own: onChunk(data, 0) per read (a plain
   * Uint8Array), onChunk(undefined, 0) after each 200 ms without data, then
   * once onChunk(null, errno) (0: end of file), by which time fd is closed.
   */
  startReader(fd: number, onChunk: (data: Uint8Array | null | undefined, errno: number) => void): SocketReader;
  /** Whether the reader keeps the event loop alive (it does from the start). Not after its end. */
  refReader(reader: SocketReader, on: boolean): void;
  /** shutdown(fd, SHUT_RDWR): the reader sees the end. 0 or -errno. */
  shutdownSocket(fd: number): number;
}

/** A reader thread's handle (opaque). */
export interface SocketReader { readonly __reader: unique symbol }

let addon: Addon | null = null;
/** Milliseconds spent loading the binding (for `bench`). */
export let addonLoadMs = 0;

export function nativeAddon(): Addon {
  if (addon) return addon;
  if (!existsSync(NATIVE_ADDON)) {
    throw new KernelError({ stage: 'parent', syscall: 'dlopen', what: '(run make -C native)', errno: 2, path: NATIVE_ADDON });
  }
  const t0 = process.hrtime.bigint();
  // process.dlopen, not require(): the path is known, so the module loader's
  // resolution (stat, realpath, package.json lookups) is work for nothing.
  const mod = { exports: {} as Addon };
  process.dlopen(mod, NATIVE_ADDON);
  addon = mod.exports;
  addonLoadMs = Number(process.hrtime.bigint() - t0) / 1e6;
  return addon;
}

/** One transaction through libnftables in this process; null when libnftables.so.1 is not installed. */
export function nftRunInProcess(commands: string, json: boolean): NftOutcome | null {
  return nativeAddon().nftRun(commands, json);
}

/** Whether something already loaded the binding (never loads it). */
export function bindingLoaded(): boolean {
  return addon !== null;
}

/**
 * _exit(2) without Node's teardown, when the binding is already loaded (a
 * runtime verb loaded it); returns when it is not, and then nothing happened.
 */
export function exitNowIfLoaded(code: number): void {
  if (addon) addon.exitNow(code);
}

export function failure(r: StageResult): KernelError {
  return new KernelError({ stage: r.stage || 'parent', syscall: r.syscall || 'unknown', what: r.what, errno: r.err, path: r.path });
}
