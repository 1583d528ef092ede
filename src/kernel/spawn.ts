import { encodeSpawn } from './encode.js';
import { failure, nativeLib, type NativeResult } from './native.js';
import { handOverPty } from './pty.js';
import type { ParkedContainer, SpawnRequest } from './types.js';

/**
 * Creates the container's processes, parked: init exists in its new
 * namespaces (so the scope and machined can be told its PID) but has done
 * nothing yet. Synchronous: it only forks, which takes milliseconds.
 */
export function spawnContainer(req: SpawnRequest): ParkedContainer {
  const lib = nativeLib();
  const blob = encodeSpawn(req);
  const out: Partial<NativeResult> = {};
  if (lib.spawn(blob, blob.length, out) !== 0) throw failure(out);
  const initPid = out.pid ?? -1;
  const monitorPid = out.stage_pid ?? -1;
  let syncFd = out.sync_fd ?? -1;

  return {
    initPid,
    monitorPid,
    release(): void {
      if (syncFd < 0) throw new Error('container already released or aborted');
      const fd = syncFd;
      syncFd = -1; // the native side closes it either way
      const res: Partial<NativeResult> = {};
      if (lib.release(fd, res) !== 0) throw failure(res);
      handOverPty(req.stdio, res.pty_fd ?? -1);
    },
    abort(): void {
      const fd = syncFd;
      syncFd = -1;
      lib.abort(initPid, monitorPid, fd);
    },
  };
}
