import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
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
  release(syncFd: number): StageResult;
  abort(initPid: number, monitorPid: number, syncFd: number): void;
  execAbort(pid: number, stagePid: number, syncFd: number): void;
  /** Exit status (128+signal), or -errno; waitpid runs on a libuv pool thread. */
  wait(pid: number): Promise<number>;
  flock(fd: number, op: number): number;
  notify(socketPath: string, state: string): number;
  setWinsize(fd: number, rows: number, cols: number): number;
  mknod(path: string, mode: number, major: number, minor: number): number;
  lsetxattr(path: string, name: string, value: Buffer): number;
  /** The value, or -errno (ENODATA when absent). */
  lgetxattr(path: string, name: string): Buffer | number;
  /** NUL-separated names, or -errno. */
  llistxattr(path: string): Buffer | number;
  nlLinkIndex(name: string): number;
  nlBridgeAdd(name: string): number;
  /** mtu 0: the kernel's default. */
  nlVethAdd(host: string, peer: string, pid: number, mtu: number): number;
  nlL2Add(kind: string, parentIfindex: number, name: string, pid: number): number;
  nlLinkSet(ifindex: number, master: number, up: number): number;
  nlHairpin(ifindex: number, on: number): number;
  nlAddrAdd(ifindex: number, addr: number, prefix: number): number;
  nlLinkDel(name: string): number;
  /** 0, or -(errno * 16 + step) with step from enum tsm_nl_step. */
  nlNetnsConfigure(pid: number, ifname: string, addr: number, prefix: number, gateway: number): number;
  /** null when libnftables.so.1 is not installed. */
  nftRun(commands: string, json: boolean): NftOutcome | null;
  /** The default seccomp filter as struct sock_filter[] (8 bytes each; empty on architectures without one), or -errno. */
  seccompProgram(): Buffer | number;
}

let addon: Addon | null = null;
/** Milliseconds spent loading the binding (for `bench`). */
export let addonLoadMs = 0;

export function nativeAddon(): Addon {
  if (addon) return addon;
  if (!existsSync(NATIVE_ADDON)) {
    throw new KernelError({ stage: 'parent', syscall: 'dlopen', what: '(run make -C native)', errno: 2, path: NATIVE_ADDON });
  }
  const t0 = performance.now();
  addon = createRequire(import.meta.url)(NATIVE_ADDON) as Addon;
  addonLoadMs = performance.now() - t0;
  return addon;
}

export function failure(r: StageResult): KernelError {
  return new KernelError({ stage: r.stage || 'parent', syscall: r.syscall || 'unknown', what: r.what, errno: r.err, path: r.path });
}
