import { KernelError } from './errors.js';
import { nativeAddon } from './addon.js';

/**
 * Exit status of a child of this process: its exit code, or 128+signal when
 * killed. waitpid blocks on a libuv pool thread, not the event loop. Each
 * pending wait holds one pool thread (4 by default): fine for the few a CLI
 * process has.
 */
export async function waitExit(pid: number): Promise<number> {
  const value = await nativeAddon().wait(pid);
  if (value < 0) throw new KernelError({ stage: 'kernel', syscall: 'waitpid', what: '', errno: -value, path: `pid ${pid}` });
  return value;
}
