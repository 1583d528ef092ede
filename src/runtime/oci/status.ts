import { existsSync } from 'node:fs';
import { processStat } from '../../kernel/index.js';
import { readTextIfPresent } from '../../quiet-fs.js';
import type { OciRecord, OciStore } from './store.js';

export type OciStatus = 'creating' | 'created' | 'running' | 'paused' | 'stopped';

/** Whether the record's init is still that process and has not ended (a zombie has). */
export function initAlive(r: OciRecord): boolean {
  if (r.pid <= 0) return false;
  const st = processStat(r.pid);
  return st !== null && st.startTime === r.pidStartTime && st.state !== 'Z' && st.state !== 'X';
}

/**
 * The init's cgroup v2 directory, from /proc/PID/cgroup ("0::/machine.slice/x.scope"):
 * read, never written (systemd owns the tree).
 */
export function initCgroupDir(pid: number): string | null {
  const text = readTextIfPresent(`/proc/${pid}/cgroup`);
  const line = text?.split('\n').find((l) => l.startsWith('0::'));
  return line ? `/sys/fs/cgroup${line.slice(3)}` : null;
}

/** systemd's freezer shows in the scope's cgroup.events ("frozen 1"). */
function frozen(pid: number): boolean {
  const dir = initCgroupDir(pid);
  const events = dir ? readTextIfPresent(`${dir}/cgroup.events`) : null;
  return events !== null && /^frozen 1$/m.test(events);
}

/**
 * The runtime-spec status, read from the kernel each time: nobody of ours
 * stays to tell. Dead or zombie init: stopped (whoever reaps it, conmon or
 * PID 1, has the exit status). The fifo still there: created (start removes
 * it once it released init).
 */
export function statusOf(store: OciStore, r: OciRecord): OciStatus {
  if (r.phase === 'creating') return initAlive(r) ? 'creating' : 'stopped';
  if (!initAlive(r)) return 'stopped';
  if (r.phase === 'created' && existsSync(store.fifo(r.id))) return 'created';
  return frozen(r.pid) ? 'paused' : 'running';
}
