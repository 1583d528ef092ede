/** The kernel module: everything the runtime asks of the kernel, typed. */
export type { BindMount, ExecRequest, ExecStdioPlan, ParkedContainer, ParkedExec, PtyPlan, RootfsPlan, SeccompProfile, SpawnRequest, StdioPlan } from './types.js';
export { openPtyMaster, setWindowSize, type PtyMaster } from './tty.js';
export { KernelError, errnoMessage, errnoName } from './errors.js';
export { spawnContainer } from './spawn.js';
export { execInContainer } from './exec.js';
export { waitExit } from './wait.js';
export { catchesSignal, kill, processExists, processStartTime, processStat } from './process.js';
export { acquireLock, isLockBusy, LockError, withLock, type Lock, type LockMode, type LockOptions, type LockWait } from './lock.js';
export { sdNotify } from './notify.js';
export { nftRunInProcess, type NftOutcome } from './addon.js';
export { isTerminal, openPipe } from './relay.js';
export { pumpFd, type FdPump } from './socket.js';
