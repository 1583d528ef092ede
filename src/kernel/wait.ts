import { KernelError } from './errors.js';
import { nativeLib } from './native.js';

/**
 * Exit status of a child of this process: its exit code, or 128+signal when
 * killed. waitpid blocks on a koffi worker thread, not the event loop. Each
 * pending wait holds one worker: fine for the few a CLI process has.
 */
export function waitExit(pid: number): Promise<number> {
  const lib = nativeLib();
  return new Promise((resolve, reject) => {
    lib.waitAsync(pid, (err, value) => {
      if (err) reject(err instanceof Error ? err : new Error(String(err)));
      else if (value < 0) reject(new KernelError({ stage: 'kernel', syscall: 'waitpid', what: '', errno: -value, path: `pid ${pid}` }));
      else resolve(value);
    });
  });
}
