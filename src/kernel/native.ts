import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { NATIVE_LIB } from '../paths.js';
import { KernelError } from './errors.js';

/**
 * The koffi binding of native/build/libtsmachine.so, loaded on first use so
 * that commands which never touch the kernel (ps, inspect) do not pay for it.
 * Every function returns 0 / a value, or -1 with a filled tsm_result, or
 * -errno: nothing here reads koffi.errno().
 */

/** Mirrors struct tsm_result in native/src/sync.h. */
export interface NativeResult {
  pid: number;
  stage_pid: number;
  sync_fd: number;
  /** release(): the payload's pty master (-t), else -1. */
  pty_fd: number;
  err: number;
  stage: string;
  syscall: string;
  what: string;
  path: string;
}

type AsyncCallback<T> = (err: unknown, value: T) => void;

export interface NativeLib {
  spawn(blob: Buffer, len: number, out: Partial<NativeResult>): number;
  exec(blob: Buffer, len: number, out: Partial<NativeResult>): number;
  release(syncFd: number, out: Partial<NativeResult>): number;
  abort(initPid: number, monitorPid: number, syncFd: number): void;
  execAbort(pid: number, stagePid: number, syncFd: number): void;
  waitAsync(pid: number, cb: AsyncCallback<number>): void;
  flock(fd: number, wait: number): number;
  notify(socketPath: string, state: string): number;
  setWinsize(fd: number, rows: number, cols: number): number;
}

let lib: NativeLib | null = null;
/** Milliseconds spent loading koffi, the library and the declarations (for `bench`). */
export let nativeLoadMs = 0;

/** koffi itself costs tens of ms to load: only on first use, not at import. */
function loadKoffi(): typeof import('koffi') {
  return createRequire(import.meta.url)('koffi') as typeof import('koffi');
}

export function nativeLib(): NativeLib {
  if (lib) return lib;
  if (!existsSync(NATIVE_LIB)) {
    throw new KernelError({ stage: 'parent', syscall: 'dlopen', what: '(run make -C native)', errno: 2, path: NATIVE_LIB });
  }
  const t0 = performance.now();
  const koffi = loadKoffi();
  const so = koffi.load(NATIVE_LIB);
  // A type name may be registered only once per process (another copy of this module, tests).
  let result;
  try {
    result = koffi.struct('tsm_result', {
      pid: 'int32_t', stage_pid: 'int32_t', sync_fd: 'int32_t', pty_fd: 'int32_t', err: 'int32_t',
      stage: 'char[16]', syscall: 'char[24]', what: 'char[40]', path: 'char[512]',
    });
  } catch {
    result = koffi.resolve('tsm_result');
  }
  const out = koffi.out(koffi.pointer(result));
  const wait = so.func('int tsm_wait(int pid)');
  lib = {
    spawn: so.func('tsm_spawn', 'int', ['const void *', 'size_t', out]),
    exec: so.func('tsm_exec', 'int', ['const void *', 'size_t', out]),
    release: so.func('tsm_release', 'int', ['int', out]),
    abort: so.func('void tsm_abort(int init_pid, int monitor_pid, int sync_fd)'),
    execAbort: so.func('void tsm_exec_abort(int pid, int stage_pid, int sync_fd)'),
    waitAsync: (pid, cb) => wait.async(pid, cb),
    flock: so.func('int tsm_flock(int fd, int wait)'),
    notify: so.func('int tsm_notify(const char *socket_path, const char *state)'),
    setWinsize: so.func('int tsm_set_winsize(int fd, int rows, int cols)'),
  };
  nativeLoadMs = performance.now() - t0;
  return lib;
}

export function failure(r: Partial<NativeResult>): KernelError {
  return new KernelError({
    stage: r.stage || 'parent',
    syscall: r.syscall || 'unknown',
    what: r.what ?? '',
    errno: r.err ?? 0,
    path: r.path ?? '',
  });
}
