import { readFileSync } from 'node:fs';
import { KernelError } from './errors.js';
import { ESRCH } from './errno.js';

/** Sends a signal; false when the process no longer exists. */
export function kill(pid: number, signal: number): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch (e) {
    const errno = (e as NodeJS.ErrnoException).errno;
    if (errno === -ESRCH || (e as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw new KernelError({ stage: 'kernel', syscall: 'kill', what: `signal ${signal}`, errno: Math.abs(errno ?? 1), path: `pid ${pid}` });
  }
}

/** Whether a process with this PID exists (kill 0; EPERM: it does, someone else's). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether the process has a handler for `signal` (its SigCgt mask in
 * /proc/PID/status), or null when it does not exist. A namespace's PID 1
 * never sees a signal from outside that it does not handle (the kernel drops
 * it), so this says whether SIGTERM can stop it at all.
 */
export function catchesSignal(pid: number, signal: number): boolean | null {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const mask = /^SigCgt:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  if (mask === undefined) return null;
  return ((BigInt(`0x${mask}`) >> BigInt(signal - 1)) & 1n) === 1n;
}

/**
 * The process's start time in clock ticks since boot (field 22 of
 * /proc/PID/stat), or null when it does not exist. A PID plus this number
 * names one process for good: PIDs are reused, start times are not.
 */
export function processStartTime(pid: number): number | null {
  return processStat(pid)?.startTime ?? null;
}

/**
 * State (field 3: R, S, D, Z, T...) and start time of a process, or null
 * when it does not exist. A zombie ('Z') has ended; its parent has not
 * collected it yet.
 */
export function processStat(pid: number): { state: string; startTime: number } | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // comm (field 2) may contain spaces and parens: count fields after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(rest[22 - 3]);
  return Number.isFinite(ticks) ? { state: rest[0] ?? '?', startTime: ticks } : null;
}
