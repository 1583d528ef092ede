/**
 * process.rlimits: RLIMIT_* names → the kernel's numbers (asm-generic/resource.h,
 * the same on every architecture Linux containers run on but alpha, sparc and
 * mips, which tsmachine does not build for).
 */
import type { OciRlimitPlan } from '../kernel/oci-types.js';
import { OciConfigError, at } from './errors.js';
import type { PosixRlimit } from './spec.js';

export const RLIMITS: Readonly<Record<string, number>> = {
  RLIMIT_CPU: 0, RLIMIT_FSIZE: 1, RLIMIT_DATA: 2, RLIMIT_STACK: 3, RLIMIT_CORE: 4, RLIMIT_RSS: 5,
  RLIMIT_NPROC: 6, RLIMIT_NOFILE: 7, RLIMIT_MEMLOCK: 8, RLIMIT_AS: 9, RLIMIT_LOCKS: 10, RLIMIT_SIGPENDING: 11,
  RLIMIT_MSGQUEUE: 12, RLIMIT_NICE: 13, RLIMIT_RTPRIO: 14, RLIMIT_RTTIME: 15,
};

export function rlimitPlans(rlimits: readonly PosixRlimit[], path: string): OciRlimitPlan[] {
  const seen = new Map<string, number>();
  return rlimits.map((r, i) => {
    const p = at(path, i);
    const resource = RLIMITS[r.type];
    if (resource === undefined) throw new OciConfigError(at(p, 'type'), `'${r.type}' is not a resource limit`);
    // "If rlimits contains duplicated entries with same type, the runtime MUST generate an error" (config.md)
    const first = seen.get(r.type);
    if (first !== undefined) throw new OciConfigError(at(p, 'type'), `'${r.type}' repeats ${at(path, first)}`);
    seen.set(r.type, i);
    // setrlimit(2) fails with EINVAL then; say it before anything is made.
    if (r.soft > r.hard) throw new OciConfigError(at(p, 'soft'), `${r.soft} is above hard ${r.hard}`);
    return { resource, soft: r.soft, hard: r.hard };
  });
}
