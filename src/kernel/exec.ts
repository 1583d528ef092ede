import { encodeExec } from './encode.js';
import { failure, nativeLib, type NativeResult } from './native.js';
import { handOverPty } from './pty.js';
import type { ExecRequest, ParkedExec } from './types.js';
import { waitExit } from './wait.js';

/**
 * A process inside a running container's namespaces, parked so the runtime
 * can attach it to the container's scope before it runs anything.
 */
export function execInContainer(req: ExecRequest): ParkedExec {
  const lib = nativeLib();
  const blob = encodeExec(req);
  const out: Partial<NativeResult> = {};
  if (lib.exec(blob, blob.length, out) !== 0) throw failure(out);
  const pid = out.pid ?? -1;
  const stagePid = out.stage_pid ?? -1;
  let syncFd = out.sync_fd ?? -1;
  let waited: Promise<number> | null = null;

  return {
    pid,
    release(): void {
      if (syncFd < 0) throw new Error('exec already released or aborted');
      const fd = syncFd;
      syncFd = -1;
      const res: Partial<NativeResult> = {};
      if (lib.release(fd, res) !== 0) {
        // the stage is our child: reap it so no zombie is left behind
        waited ??= waitExit(stagePid);
        throw failure(res);
      }
      handOverPty(req.stdio, res.pty_fd ?? -1);
    },
    // The stage exits with the payload's status; it, not the payload, is our child.
    wait(): Promise<number> {
      waited ??= waitExit(stagePid);
      return waited;
    },
    abort(): void {
      if (waited) return;
      const fd = syncFd;
      syncFd = -1;
      lib.execAbort(pid, stagePid, fd);
      waited = Promise.resolve(137);
    },
  };
}
