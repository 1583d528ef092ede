import { encodeExec } from './request.js';
import { failure, nativeAddon, type StageResult } from './addon.js';
import { KernelError } from './errors.js';
import { ECHILD } from './errno.js';
import { handOverPty } from './tty.js';
import type { ExecRequest, ParkedExec } from './types.js';
import { waitExit } from './wait.js';

/**
 * A process inside a running container's namespaces, parked so the runtime
 * can attach it to the container's scope before it runs anything.
 */
export function execInContainer(req: ExecRequest): ParkedExec {
  const out = nativeAddon().exec(encodeExec(req));
  if (out.rc !== 0) throw failure(out);
  return parkedExec(out, false, (ptyFd) => handOverPty(req.stdio, ptyFd));
}

/**
 * The parked exec around a stage's result, for tsmachine's exec and
 * tsmachine-oci's (oci.ts). The stage is our child and exits with the
 * payload's status; `detached` (OCI --detach): it is already gone and the
 * payload is the subreaper's, so there is nothing to wait for. `released`
 * gets the pty master the release handed back (-1 without one).
 */
export function parkedExec(out: StageResult, detached: boolean, released?: (ptyFd: number) => void): ParkedExec {
  const lib = nativeAddon();
  const { pid, stagePid } = out;
  let syncFd = out.syncFd;
  let waited: Promise<number> | null = null;

  // The stage, not the payload, is our child.
  const waitStage = (): Promise<number> => (waited ??= detached
    ? Promise.reject(new KernelError({ stage: 'parent', syscall: 'waitpid', what: 'detached exec', errno: ECHILD, path: `pid ${pid}` }))
    : waitExit(stagePid));

  return {
    pid,
    release(): void {
      if (syncFd < 0) throw new Error('exec already released or aborted');
      const fd = syncFd;
      syncFd = -1;
      const res = lib.release(fd);
      if (res.rc !== 0) {
        // the stage is our child: reap it so no zombie is left behind
        if (!detached) waitStage().catch(() => undefined);
        throw failure(res);
      }
      released?.(res.ptyFd);
    },
    wait(): Promise<number> {
      return waitStage();
    },
    abort(): void {
      if (waited && !detached) return;
      const fd = syncFd;
      syncFd = -1;
      lib.execAbort(pid, stagePid, fd);
      if (!detached) waited = Promise.resolve(137);
    },
  };
}
