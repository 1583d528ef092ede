import { KernelError } from './errors.js';
import { nativeAddon } from './addon.js';

/** Whether fd is a terminal (isatty(3)). */
export function isTerminal(fd: number): boolean {
  return nativeAddon().isatty(fd) === 1;
}

/** A pipe, both ends close-on-exec (a stage dup2s the container's end onto 0, 1 or 2). */
export function openPipe(): { read: number; write: number } {
  const r = nativeAddon().pipe();
  if (typeof r === 'number') throw new KernelError({ stage: 'kernel', syscall: 'pipe2', what: 'stdio relay', errno: -r, path: '' });
  return { read: r[0], write: r[1] };
}
