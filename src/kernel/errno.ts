/**
 * The errno numbers tsmachine compares against, as literals. All of them are
 * in Linux's asm-generic/errno-base.h (1-34), which every architecture
 * shares; reading them from node:os instead cost each start 7 ms in the test
 * VM, to load that module. Names of other errnos: errnoNumber in errors.ts.
 */
export const ENOENT = 2;
export const ESRCH = 3;
export const EEXIST = 17;
export const ENODEV = 19;
export const EINVAL = 22;
export const EPIPE = 32;
