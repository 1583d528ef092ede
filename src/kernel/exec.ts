import { encodeExec } from './request.js';
import { failure, nativeAddon } from './addon.js';
import { handOverPty } from './tty.js';
import type { ExecRequest, ParkedExec } from './types.js';
import { waitExit } from './wait.js';

/**
 * A process inside a running container's namespaces, parked so the runtime
 * can attach it to the container's scope before it runs anything.
 */
export function execInContainer(req: ExecRequest): ParkedExec {
  const lib = nativeAddon();
  const out = lib.exec(encodeExec(req));
  if (out.rc !== 0) throw failure(out);
  const { pid, stagePid } = out;
  let syncFd = out.syncFd;
  let waited: Promise<number> | null = null;

  return {
    pid,
    release(): void {
      if (syncFd < 0) throw new Error('exec already released or aborted');
      const fd = syncFd;
      syncFd = -1;
      const res = lib.release(fd);
      if (res.rc !== 0) {
        // the stage is our child: reap it so no zombie is left behind
        waited ??= waitExit(stagePid);
        throw failure(res);
      }
      handOverPty(req.stdio, res.ptyFd);
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
