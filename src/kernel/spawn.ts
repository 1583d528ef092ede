import { encodeSpawn } from './request.js';
import { failure, nativeAddon } from './addon.js';
import { handOverPty } from './tty.js';
import type { ParkedContainer, SpawnRequest } from './types.js';
import { KernelError, errnoName } from './errors.js';
import { EPIPE } from './errno.js';

/**
 * Creates the container's processes, parked: init exists in its new
 * namespaces (so the scope and machined can be told its PID) but has done
 * nothing yet. Synchronous: it only forks, which takes milliseconds.
 */
export function spawnContainer(req: SpawnRequest): ParkedContainer {
  const lib = nativeAddon();
  const out = lib.spawn(encodeSpawn(req));
  if (out.rc !== 0) throw failure(out);
  const initPid = out.pid;
  const monitorPid = out.stagePid;
  let syncFd = out.syncFd;
  let building = false;

  const parked: ParkedContainer = {
    initPid,
    monitorPid,
    buildRootfs(): void {
      if (syncFd < 0 || building) return;
      building = true;
      const rc = lib.buildRootfs(syncFd);
      // Init gone (EPIPE, ECONNRESET): what it reported, or the release, tells why.
      if (rc < 0 && -rc !== EPIPE && errnoName(-rc) !== 'ECONNRESET') {
        throw new KernelError({ stage: 'parent', syscall: 'send', what: 'rootfs', errno: -rc, path: `pid ${initPid}` });
      }
    },
    reportedFailure(): KernelError | null {
      if (syncFd < 0) return null;
      const res = lib.reportedFailure(syncFd);
      return res ? failure(res) : null;
    },
    release(): void {
      if (syncFd < 0) throw new Error('container already released or aborted');
      parked.buildRootfs();
      const fd = syncFd;
      syncFd = -1; // the native side closes it either way
      const res = lib.release(fd);
      if (res.rc !== 0) throw failure(res);
      handOverPty(req.stdio, res.ptyFd);
    },
    abort(): void {
      const fd = syncFd;
      syncFd = -1;
      lib.abort(initPid, monitorPid, fd);
    },
  };
  return parked;
}
