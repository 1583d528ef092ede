/**
 * Run by kernel-dumpable.test.ts (and test/integration/security-exec.test.ts)
 * under `setpriv --bounding-set -sys_ptrace`: parks the stages of this Node
 * process so that another process with exactly our capabilities but without
 * CAP_SYS_PTRACE can try to read them through /proc. Such a reader passes
 * every other ptrace check (same uid, same user namespace, a superset of the
 * target's capabilities), so what it is refused is refused for the target's
 * dumpable flag alone.
 *
 * Protocol on stdout, one JSON line each; it waits for a line on stdin
 * between the steps:
 *   {parkedInit, parkedExec, execStage}   a container's init parked at its first
 *                                          barrier; an exec into a running one,
 *                                          parked before release; the exec stage
 *   {execd}                                that exec released: `sleep` runs
 * then it cleans up and exits.
 *
 * Argument: `fixture` (a busybox rootfs of its own, as the kernel tests) or
 * the host PID of a running container's init to exec into.
 */
import { createInterface } from 'node:readline';
import { readFileSync } from 'node:fs';
import { execInContainer, kill, spawnContainer, waitExit } from '../../src/kernel/index.js';
import { makeFixture } from './kernel-fixture.js';

function parentOf(pid: number): number {
  const m = /^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const next = async (): Promise<void> => { await lines.next(); };
const say = (o: object): void => { process.stdout.write(`${JSON.stringify(o)}\n`); };

const f = makeFixture();
const cleanups: (() => Promise<void> | void)[] = [() => f.cleanup()];
try {
  let leader = Number(process.argv[2]);
  if (!(leader > 0)) {
    const running = spawnContainer(f.request({ name: 'kparked-run', argv: ['sleep', '1000'] }));
    running.release();
    const exited = waitExit(running.monitorPid);
    cleanups.unshift(async () => { kill(running.initPid, 9); await exited; });
    leader = running.initPid;
  }
  const parked = spawnContainer(f.request({ name: 'kparked', argv: ['true'] }));
  cleanups.unshift(async () => { parked.abort(); });
  const e = execInContainer({ leaderPid: leader, argv: ['sleep', '1000'], env: ['PATH=/bin:/usr/bin'], cwd: '/' });
  cleanups.unshift(async () => { try { kill(e.pid, 9); } catch { /* gone */ } e.abort(); await e.wait(); });
  say({ parkedInit: parked.initPid, parkedExec: e.pid, execStage: parentOf(e.pid) });
  await next();
  e.release();
  say({ execd: e.pid });
  await next();
} finally {
  for (const c of cleanups) await c();
}
process.exit(0);
