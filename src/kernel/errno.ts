/**
 * The errno numbers tsmachine compares against, as literals, in one place.
 * All of them are in Linux's asm-generic/errno-base.h (1-34), which every
 * architecture shares; reading them from node:os instead would load that
 * module on every start. An errno outside that range is matched by name
 * (errnoName in errors.ts, from libuv's table), but for ENODATA, whose
 * number the architectures tsmachine is packaged for (x86, arm) share.
 */
export const ENOENT = 2;
export const ESRCH = 3;
export const EINTR = 4;
export const ECHILD = 10;
export const EAGAIN = 11;
export const EWOULDBLOCK = EAGAIN;
export const EEXIST = 17;
export const ENODEV = 19;
export const EINVAL = 22;
export const EPIPE = 32;
/** Outside errno-base.h: 61 on x86 and arm (lgetxattr's "no such attribute"). */
export const ENODATA = 61;
